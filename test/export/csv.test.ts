// A CSV data source in the exported PyTorch script: the script reads the CSV file where it is (no
// copy next to the script), at a path relative to the script's own folder when the .nn file named
// it relatively (computed from where the .nn file is and where -o writes), or at the absolute path
// the .nn file gave. It makes exactly nnc's splits (the same rows in the same order, labels encoded
// the same way), trains to nnc's weights from nnc's initial weights, and a file that went bad after
// the export is a one-line error naming the file and line.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportedData } from "../../compiler/export/data-file.ts";
import { trainExample } from "../e2e/train-helpers.ts";
import { compiled, exportCase, readTensors, relativeDifference } from "./export-helpers.ts";
import { expectSuccess, runPython, skipWithoutTorch } from "./python.ts";

const NNC = join(import.meta.dirname, "..", "..", "bin", "nnc.js");

function nnc(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [NNC, ...args], { encoding: "utf8", cwd });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// 60 flowers of three named kinds, with a few features that separate them.
function flowersCsv(): string {
  const kinds = ["virginica", "setosa", "Versicolor"];
  const rows = ["petal, sepal ,width,kind"];
  for (let i = 0; i < 60; i++) {
    const k = (i * 7) % 3;
    rows.push(`${(k + 1 + ((i * 13) % 10) / 20).toFixed(2)},${(3 - k + ((i * 17) % 10) / 25).toFixed(3)}, ${(i % 5) / 4},${kinds[k]}`);
    if (i === 30) rows.push("");
  }
  return `${rows.join("\n")}\n`;
}

const CLASSIFIER = (path: string) => `model flowers {
  input  x: [B, 3]
  target kind: class[B] of 3
  h = dense(x, 6) |> tanh
  logits = dense(h, 3)
  loss cross_entropy(logits, kind)
}

train flowers {
  data      csv(${JSON.stringify(path)}, label: "kind")
  split     validation: 0.2, test: 0.25
  normalize standardize
  batch     full
  epochs    3
  optimizer adam(lr: 0.05)
  seed      7
}
`;

// No header, `;` between cells, a feature subset by number, labels −1/+1 for hinge.
const SIGNED = (path: string) => `model margin {
  input  x: [B, 2]
  target y: [B, 1]
  score = dense(x, 1)
  loss hinge(score, y)
}

train margin {
  data      csv(${JSON.stringify(path)}, label: 3, features: [2, 0], header: false, delimiter: ";")
  split     test: 0.3
  shuffle   false
  batch     4
  epochs    1
  optimizer sgd(lr: 0.1)
  seed      11
}
`;

function project(): { root: string; nn: string } {
  const root = mkdtempSync(join(tmpdir(), "nnc-export-csv-"));
  mkdirSync(join(root, "data"));
  mkdirSync(join(root, "models"));
  writeFileSync(join(root, "data", "flowers.csv"), flowersCsv());
  const signed = Array.from({ length: 23 }, (_, i) => `${i / 7};${i % 3};${(i * 5) % 11 - 5};${i % 2 ? "+1" : "-1"}`);
  writeFileSync(join(root, "data", "signed.csv"), `${signed.join("\n")}\n`);
  const nn = join(root, "models", "flowers.nn");
  writeFileSync(nn, CLASSIFIER("../data/flowers.csv"));
  return { root, nn };
}

// The splits the script makes, as JSON: {split: [features, targets]}, flattened.
function pythonSplits(script: string, cwd: string): Record<string, [number[], number[]]> {
  const code = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)
splits = exported.load_splits(exported.DATA_FILE)
print(json.dumps({name: [x.reshape(-1).tolist(), y.reshape(-1).tolist()] for name, (x, y) in splits.items()}))
`;
  return JSON.parse(expectSuccess(runPython(["-c", code, script], { cwd }), "load_splits"));
}

// nnc's splits of the same data, before standardization, as the data file would hold them.
function nncSplits(nn: string): Record<string, [number[], number[]]> {
  const { model, config } = compiled(nn);
  const { tensors } = exportedData(model, config, dirname(nn));
  const out: Record<string, [number[], number[]]> = {};
  for (const split of ["train", "validation", "test"]) {
    const features = tensors[`${split}.features`];
    if (features) out[split] = [Array.from(features.data), Array.from(tensors[`${split}.targets`]!.data)];
  }
  return out;
}

describe("nnc export with a CSV source (command line)", () => {
  it("writes no data file, and points the script at the CSV file from its own folder", () => {
    const { root } = project();
    const result = nnc(root, "export", "models/flowers.nn", "--to", "pytorch", "-o", "out/scripts/train.py");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("wrote out/scripts/train.py (it reads ../../data/flowers.csv, from the script's folder)");
    expect(readdirSync(join(root, "out", "scripts"))).toEqual(["train.py"]);
    const script = readFileSync(join(root, "out", "scripts", "train.py"), "utf8");
    expect(script).toContain('DATA_FILE = os.path.normpath(os.path.join(HERE, "../../data/flowers.csv"))');
    expect(script).toMatch(/^CSV = dict\(\n    label="kind",\n    features=None,\n    header=True,\n    delimiter=",",\n    labels="class",\n    classes=3,/m);
    expect(script).toContain("#     ../../data/flowers.csv\n");
  });

  it("keeps an absolute path as it is", () => {
    const { root } = project();
    const absolute = join(root, "data", "flowers.csv");
    writeFileSync(join(root, "models", "absolute.nn"), CLASSIFIER(absolute));
    const result = nnc(join(root, "models"), "export", "absolute.nn", "--to", "pytorch", "-o", join(root, "elsewhere", "train.py"));
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(root, "elsewhere", "train.py"), "utf8")).toContain(`DATA_FILE = ${JSON.stringify(absolute)}`);
  });

  it("reports a problem in the CSV file when exporting, not later", () => {
    const { root } = project();
    writeFileSync(join(root, "data", "flowers.csv"), "petal,sepal,width,kind\n1,2,x,setosa\n");
    const result = nnc(root, "export", "models/flowers.nn", "--to", "pytorch", "-o", "out/train.py");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"x" is not a number');
    expect(existsSync(join(root, "out", "train.py"))).toBe(false);
  });
});

describe.skipIf(skipWithoutTorch())("the exported script reads the CSV file as nnc does", () => {
  it("makes nnc's splits, row for row, from any working directory (class names, standardized later)", () => {
    const { root, nn } = project();
    expect(nnc(root, "export", "models/flowers.nn", "--to", "pytorch", "-o", "out/train.py").code).toBe(0);
    expect(pythonSplits(join(root, "out", "train.py"), tmpdir())).toEqual(nncSplits(nn));
  });

  it("makes nnc's splits of a file without a header, with another delimiter, a feature subset and −1/+1 labels", () => {
    const { root } = project();
    const nn = join(root, "models", "signed.nn");
    writeFileSync(nn, SIGNED("../data/signed.csv"));
    expect(nnc(root, "export", "models/signed.nn", "--to", "pytorch", "-o", "train.py").code).toBe(0);
    const python = pythonSplits(join(root, "train.py"), root);
    expect(python).toEqual(nncSplits(nn));
    expect(new Set(python.train![1])).toEqual(new Set([-1, 1]));
  });

  it("trains from nnc's initial weights to nnc's weights", async () => {
    const { nn } = project();
    const trained = await trainExample(nn);
    const exported = exportCase(nn);
    const out = join(exported.dir, "out.safetensors");
    const stdout = expectSuccess(runPython([exported.script, "--init", exported.init, "--save", out, "--json"], { cwd: tmpdir() }), "python train.py");
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(summary.steps).toBe(trained.summary.steps);
    const expected = Object.fromEntries(trained.trainGraph.params.map((p, i) => [p.name, trained.trainer.params[i]!]));
    const difference = relativeDifference(expected, readTensors(out));
    expect(difference.worst, `largest relative difference, in ${difference.name}`).toBeLessThan(1e-4);
  });

  it("a CSV file that went bad after the export: exit 1, the file and line, no traceback", () => {
    const { root } = project();
    expect(nnc(root, "export", "models/flowers.nn", "--to", "pytorch", "-o", "out/train.py").code).toBe(0);
    writeFileSync(join(root, "data", "flowers.csv"), "petal,sepal,width,kind\n1,2,3,setosa\n1,2,x,setosa\n");
    const result = runPython([join(root, "out", "train.py")], { cwd: root });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`${join(root, "data", "flowers.csv")}:3: column width: "x" is not a number`);
  });
});
