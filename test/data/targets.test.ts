// From a train block with a CSV file to the targets the model sees (issue 6): a [B, K] target takes
// one label column as one-hot rows or K label columns as they are; hinge and perceptron get −1/+1
// from 0/1 or −1/+1 labels (CSV files and built-in sets alike); `shuffle false` keeps the file's
// order through the split.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { targetInfo } from "../../cli/session.ts";
import { compile } from "../../compiler/index.ts";
import { prepareData } from "../../runtime/train/prepare.ts";

const dir = mkdtempSync(join(tmpdir(), "nnc-targets-"));
writeFileSync(join(dir, "species.csv"), "x1,x2,species\n1,2,cat\n2,1,ant\n0,0,bee\n5,5,cat\n");
writeFileSync(join(dir, "soft.csv"), "x1,x2,p_a,p_b,p_c\n1,2,1,0,0\n2,1,0,0.5,0.5\n");
writeFileSync(join(dir, "binary.csv"), "x1,x2,y\n1,2,0\n2,1,1\n0,0,1\n");
writeFileSync(join(dir, "signed.csv"), "x1,x2,y\n1,2,-1\n2,1,1\n0,0,-1\n");

function prepared(target: string, loss: string, settings: string) {
  const file = join(dir, "m.nn");
  const source = `model m {\n  input x: [B, 2]\n  target y: ${target}\n  s = dense(x, ${target === "[B, 1]" ? 1 : 3})\n  loss ${loss}(s, y)\n}\ntrain m {\n${settings}\n  optimizer sgd(lr: 0.1)\n}\n`;
  const compiled = compile(source, file);
  const errors = compiled.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => d.message)).toEqual([]);
  return { config: compiled.config!, data: prepareData(compiled.config!, targetInfo(compiled.model!), dir) };
}

describe("CSV labels for a [B, K] target", () => {
  it("one label column becomes one-hot rows (names in sorted order)", () => {
    const { config, data } = prepared("[B, 3]", "cross_entropy", '  data csv("species.csv", label: "species")\n  shuffle false');
    expect(config.target_encoding).toBe("one_hot");
    expect(data.train.targetSize).toBe(3);
    expect([...data.train.targets]).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it("a list of label columns is read as it is", () => {
    const { config, data } = prepared("[B, 3]", "cross_entropy", '  data csv("soft.csv", label: ["p_a", "p_b", "p_c"])\n  shuffle false');
    expect(config.target_encoding).toBe("real");
    expect([...data.train.targets]).toEqual([1, 0, 0, 0, 0.5, 0.5]);
  });
});

describe("hinge and perceptron targets are −1/+1", () => {
  it.each(["hinge", "perceptron"])("%s: 0/1 labels in a CSV file are mapped", (loss) => {
    const { config, data } = prepared("[B, 1]", loss, '  data csv("binary.csv", label: "y")\n  shuffle false');
    expect(config.target_encoding).toBe("signed");
    expect([...data.train.targets]).toEqual([-1, 1, 1]);
  });

  it("−1/+1 labels in a CSV file are kept", () => {
    const { data } = prepared("[B, 1]", "hinge", '  data csv("signed.csv", label: "y")\n  shuffle false');
    expect([...data.train.targets]).toEqual([-1, 1, -1]);
  });

  it("a built-in two-class set is mapped too", () => {
    const { data } = prepared("[B, 1]", "hinge", "  data xor(n: 40)");
    expect(new Set(data.train.targets)).toEqual(new Set([-1, 1]));
  });

  it("bce_with_logits keeps 0/1", () => {
    const { data } = prepared("[B, 1]", "bce_with_logits", '  data csv("binary.csv", label: "y")\n  shuffle false');
    expect([...data.train.targets]).toEqual([0, 1, 1]);
  });
});

describe("shuffle false", () => {
  it("keeps the file's order, without a split and within each split", () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},0,${i % 2}`);
    writeFileSync(join(dir, "ordered.csv"), ["x1,x2,y", ...rows].join("\n") + "\n");
    const first = (d: { n: number; features: Float32Array }) => Array.from({ length: d.n }, (_, i) => d.features[i * 2]!);
    const plain = prepared("[B, 1]", "bce_with_logits", '  data csv("ordered.csv", label: "y")\n  shuffle false').data;
    expect(first(plain.train)).toEqual([...Array(40).keys()]);
    const split = prepared("[B, 1]", "bce_with_logits", '  data csv("ordered.csv", label: "y")\n  split validation: 0.25\n  shuffle false').data;
    const train = first(split.train);
    const validation = first(split.validation!);
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(validation).toEqual([...validation].sort((a, b) => a - b));
    expect([...train, ...validation].sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    // Which rows are held out is still drawn from the seed, not the last ten.
    expect(validation).not.toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  });
});
