// `nnc predict` and the data errors of `nnc run` as a user meets them (issue 6): input columns are
// matched by header name, never silently by position; malformed rows, numbers beyond f32 and
// hexadecimal are errors with file, row and column; the training file's class names are printed;
// an --output that cannot be written, or would overwrite an input, is refused with a message;
// exit code 1 and no stack trace for every mistake.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectUserError(result: { code: number | null; stderr: string }, message: string | RegExp) {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

const dir = mkdtempSync(join(tmpdir(), "nnc-predict-"));
const model = join(dir, "animals.nn");
const checkpoint = join(dir, "animals.safetensors");

// Three well separated classes named in the file; x1 alone tells them apart, x2 is its opposite.
const rows = Array.from({ length: 90 }, (_, i) => {
  const k = i % 3;
  return `${k * 3 + (i % 5) * 0.1},${-k * 3},${["ant", "bee", "cat"][k]}`;
});
writeFileSync(join(dir, "train.csv"), ["x1,x2,species", ...rows].join("\n") + "\n");
writeFileSync(
  model,
  `model animals {
  input  x: [B, 2]
  target y: [B, 3]
  logits = dense(x, 3)
  loss cross_entropy(logits, y)
}

train animals {
  data      csv("train.csv", label: "species")
  normalize standardize
  epochs    40
  optimizer adam(lr: 0.1)
}
`,
);

function predict(inputText: string, ...more: string[]) {
  const input = join(dir, `input-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(input, inputText);
  return { ...nnc("predict", model, "--checkpoint", checkpoint, "--input", input, ...more), input };
}

beforeAll(() => {
  const trained = nnc("run", model, "--save", checkpoint);
  expect(trained.code, trained.stderr).toBe(0);
}, 60_000);

describe("nnc predict: columns by name", () => {
  it("matches swapped columns by their header names and prints the class names", () => {
    const inOrder = predict("x1,x2\n0,0\n6,-6\n");
    const swapped = predict("x2,x1\n0,0\n-6,6\n");
    expect(inOrder.code, inOrder.stderr).toBe(0);
    expect(swapped.stdout).toBe(inOrder.stdout);
    const lines = inOrder.stdout.trim().split("\n");
    expect(lines[0]).toBe("class,label,p0,p1,p2");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 2).join(","))).toEqual(["0,ant", "2,cat"]);
  });

  it("takes the training file itself (its label column is ignored) and headerless rows in training order", () => {
    const training = nnc("predict", model, "--checkpoint", checkpoint, "--input", join(dir, "train.csv"), "--json");
    expect(training.code, training.stderr).toBe(0);
    const result = JSON.parse(training.stdout);
    expect(result.rows.slice(0, 3).map((r: unknown[]) => r[1])).toEqual(["ant", "bee", "cat"]);
    const bare = predict("6,-6\n");
    expect(bare.stdout.trim().split("\n")[1]!.startsWith("2,cat,")).toBe(true);
  });

  it("refuses a missing feature column and an unknown column", () => {
    expectUserError(predict("x1,x3\n0,0\n"), /:1: no column for the feature "x2" \(the model was trained on "x1", "x2"\)/);
    expectUserError(predict("x1,x2,colour\n0,0,1\n"), /:1: the column "colour" is not among the model's features \("x1", "x2"\)/);
  });
});

describe("nnc predict: malformed inputs", () => {
  it("a malformed first row is a data row with an error, not a header", () => {
    expectUserError(predict("1,abc\n2,3\n"), /input-\w+\.csv:1: column 1: "abc" is not a number/);
  });

  it("numbers beyond f32 and hexadecimal are refused with row and column", () => {
    expectUserError(predict("x1,x2\n0,0\n1e39,0\n"), /:3: column "x1": 1e39 is beyond the range of 32-bit floats/);
    expectUserError(predict("x1,x2\n0x10,0\n"), /:2: column "x1": "0x10" is not a number/);
  });

  it("an input that is a folder, or missing", () => {
    expectUserError(nnc("predict", model, "--checkpoint", checkpoint, "--input", dir), /cannot read the file: it is a folder, not a file/);
    expectUserError(nnc("predict", model, "--checkpoint", checkpoint, "--input", join(dir, "nope.csv")), /nope\.csv: cannot find the file/);
  });
});

describe("nnc predict --output", () => {
  it("writes the file, and says why when its folder is missing or is a file", () => {
    const out = join(dir, "predictions.csv");
    const ok = predict("x1,x2\n0,0\n", "--output", out);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(out, "utf8").split("\n")[0]).toBe("class,label,p0,p1,p2");
    expectUserError(predict("x1,x2\n0,0\n", "--output", join(dir, "no-such-folder", "p.csv")), /cannot write the predictions to `.*p\.csv`: the folder `.*no-such-folder` does not exist/);
    expectUserError(predict("x1,x2\n0,0\n", "--output", join(dir, "train.csv", "p.csv")), /cannot write the predictions .*: a part of the path is not a folder/);
  });

  it("refuses to overwrite its own input", () => {
    const result = predict("x1,x2\n0,0\n");
    const again = nnc("predict", model, "--checkpoint", checkpoint, "--input", result.input, "--output", result.input);
    expectUserError(again, /would overwrite one of the command's own files/);
    expect(readFileSync(result.input, "utf8")).toBe("x1,x2\n0,0\n");
  });

  // Root writes into any folder whatever its mode, so this is only testable as another user.
  it.skipIf(process.getuid?.() === 0)("an unwritable folder says permission denied", () => {
    const locked = join(dir, "locked");
    mkdirSync(locked, { mode: 0o500 });
    expectUserError(predict("x1,x2\n0,0\n", "--output", join(locked, "p.csv")), /permission denied/);
  });
});

describe("nnc run: training data nnc cannot use", () => {
  it("a value beyond f32 names its file, row and column instead of blaming the learning rate", () => {
    writeFileSync(join(dir, "huge.csv"), "x1,x2,species\n1,2,ant\n1e400,2,bee\n");
    const file = join(dir, "huge.nn");
    writeFileSync(file, readFileSync(model, "utf8").replace("train.csv", "huge.csv"));
    expectUserError(nnc("run", file), /huge\.csv:3: column "x1": 1e400 is beyond the range of 32-bit floats/);
  });

  it("a data path that is a folder is reported as a folder", () => {
    mkdirSync(join(dir, "folder.csv"));
    const file = join(dir, "folder.nn");
    writeFileSync(file, readFileSync(model, "utf8").replace("train.csv", "folder.csv"));
    expectUserError(nnc("run", file), /error\[E0713\]: cannot read the data file `folder\.csv`: it is a folder, not a file/);
  });
});
