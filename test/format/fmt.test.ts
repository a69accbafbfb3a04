// `nnc fmt`: the canonical form of every example and of the cases in test/format/cases/<case>/
// (input.nn → expected.nn; UPDATE_SNAPSHOTS=1 rewrites expected.nn), idempotence, comments and
// trees preserved, and the command's behaviour on real files.

import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "../../grammar/index.ts";
import { formatNn } from "../../format/plugin.ts";
import { run } from "../../cli/commands/fmt.ts";
import { UserError } from "../../cli/user-error.ts";
import { stripSpans } from "../grammar/helpers.ts";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "../../examples");
const casesDir = join(here, "cases");
const update = Boolean(process.env.UPDATE_SNAPSHOTS);

const exampleFiles = readdirSync(examples)
  .filter((f) => f.endsWith(".nn"))
  .map((f) => ({ name: f, text: readFileSync(join(examples, f), "utf8") }));
const cases = readdirSync(casesDir)
  .filter((c) => existsSync(join(casesDir, c, "input.nn")))
  .map((c) => ({ name: c, text: readFileSync(join(casesDir, c, "input.nn"), "utf8") }));

// The tree without positions or comments: what the file means, which formatting must not change.
function meaning(text: string): unknown {
  const { program, diagnostics } = parse(text, "x.nn");
  expect(diagnostics).toEqual([]);
  return stripSpans(program.body, true);
}

function comments(text: string): string[] {
  return parse(text, "x.nn").program.comments.map((c) => c.text.trimEnd());
}

describe.each([...exampleFiles.map((f) => ({ ...f, kind: "example" })), ...cases.map((c) => ({ ...c, kind: "case" }))])("$kind $name", ({ text }) => {
  it("formats idempotently, keeping the tree and every comment", async () => {
    const once = await formatNn(text, "x.nn");
    expect(await formatNn(once, "x.nn")).toBe(once);
    expect(meaning(once)).toEqual(meaning(text));
    expect(comments(once)).toEqual(comments(text));
    expect(once.endsWith("\n")).toBe(true);
    expect(once).not.toMatch(/[ \t]+$/m);
    expect(once).not.toMatch(/\n\n\n/);
    expect(once).not.toMatch(/\t/);
  });
});

describe("golden cases", () => {
  it.each(cases)("$name", async ({ name, text }) => {
    const formatted = await formatNn(text, `${name}.nn`);
    const expectedFile = join(casesDir, name, "expected.nn");
    if (update || !existsSync(expectedFile)) writeFileSync(expectedFile, formatted);
    expect(formatted).toBe(readFileSync(expectedFile, "utf8"));
  });
});

describe("canonical style", () => {
  it("aligns train settings after the longest key", async () => {
    const out = await formatNn("train m {\n batch 1\n optimizer sgd(lr: 1)\n seed 2 }", "x.nn");
    expect(out).toBe("train m {\n  batch     1\n  optimizer sgd(lr: 1)\n  seed      2\n}\n");
  });

  it("keeps end-of-line comments on their line, lined up with their neighbours", async () => {
    const out = await formatNn("model m {\n  input x: [B, 2] # a\n  target long_name: [B, 1] # b\n  h = dense(x) # c\n}\n", "x.nn");
    expect(out).toBe("model m {\n  input x: [B, 2]           # a\n  target long_name: [B, 1]  # b\n  h = dense(x)              # c\n}\n");
  });

  it("breaks a long pipe before each `|>`", async () => {
    const long = "model m {\n  h = dense(x, 256) |> batchnorm(momentum: 0.1, eps: 1e-5) |> relu |> dropout(p: 0.5)\n}\n";
    const out = await formatNn(long, "x.nn");
    expect(out).toBe("model m {\n  h = dense(x, 256)\n    |> batchnorm(momentum: 0.1, eps: 1e-5)\n    |> relu\n    |> dropout(p: 0.5)\n}\n");
  });

  it("prints numbers and strings as written", async () => {
    const out = await formatNn('train m { data csv("a\\"b.csv") lr 1E-3, .5, 2.5E+4 }', "x.nn");
    expect(out).toContain('csv("a\\"b.csv")');
    expect(out).toContain("1E-3, .5, 2.5E+4");
  });

  it("refuses a file with syntax errors, naming the first error", async () => {
    await expect(formatNn("model m {\n  h = dense(x, 1) $\n}\n", "bad.nn")).rejects.toThrow(/E0101/);
  });

  it("formats an empty file and a file of comments", async () => {
    expect(await formatNn("", "x.nn")).toBe("");
    expect(await formatNn("# one\n\n\n# two   \n", "x.nn")).toBe("# one\n# two\n");
  });
});

describe("nnc fmt", () => {
  let dir: string;
  let out: string[];
  let err: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "nnc-fmt-"));
    out = [];
    err = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(`${a.join(" ")}\n`));
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const messy = "model m {\ninput x:[B,2]\n  target y:[B,1] # t\nh=dense(x,1)\nloss mse(h,y)}\n";
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("--check lists the files that are not formatted and exits 1", async () => {
    const bad = write("bad.nn", messy);
    const good = write("good.nn", await formatNn(messy, "good.nn"));
    expect(await run(["--check", bad, good])).toBe(1);
    expect(out.join("")).toBe(`${bad}\n`);
    expect(readFileSync(bad, "utf8")).toBe(messy);
  });

  it("--check exits 0 when every file is formatted", async () => {
    const good = write("good.nn", await formatNn(messy, "good.nn"));
    expect(await run([good, "--check"])).toBe(0);
    expect(out.join("")).toBe("");
  });

  it("--stdout prints the formatted text and changes nothing", async () => {
    const bad = write("bad.nn", messy);
    expect(await run(["--stdout", bad])).toBe(0);
    expect(out.join("")).toBe(await formatNn(messy, bad));
    expect(readFileSync(bad, "utf8")).toBe(messy);
  });

  it("rewrites files in place, names the changed ones, and leaves no temporary file", async () => {
    const bad = write("bad.nn", messy);
    const formatted = await formatNn(messy, bad);
    const good = write("good.nn", formatted);
    expect(await run([bad, good])).toBe(0);
    expect(readFileSync(bad, "utf8")).toBe(formatted);
    expect(out.join("")).toBe(`${bad}\n`);
    expect(readdirSync(dir).sort()).toEqual(["bad.nn", "good.nn"]);
  });

  it("prints the diagnostics of a file with syntax errors and leaves it untouched", async () => {
    const broken = "model m {\n  h = dense(x, 1\n  loss mse(h, y)\n}\n";
    const file = write("broken.nn", broken);
    const fine = write("fine.nn", messy);
    expect(await run([file, fine])).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(broken);
    expect(err.join("")).toMatch(/broken\.nn:2:\d+: error\[E0103\]/);
    expect(readFileSync(fine, "utf8")).toBe(await formatNn(messy, fine));
  });

  it("a missing file is a user error and nothing is written", async () => {
    const bad = write("bad.nn", messy);
    await expect(run([bad, join(dir, "missing.nn")])).rejects.toThrow(UserError);
    await expect(run([join(dir, "missing.nn")])).rejects.toThrow(/cannot read .*missing\.nn.*: no such file/);
    expect(readFileSync(bad, "utf8")).toBe(messy);
  });

  it("writes through a symbolic link to its target, and the link stays a link", async () => {
    const target = write("real.nn", messy);
    const link = join(dir, "link.nn");
    symlinkSync(target, link);
    expect(await run([link])).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe(await formatNn(messy, target));
    expect(readdirSync(dir).sort()).toEqual(["link.nn", "real.nn"]);
  });

  it("reports a chain of 10,000 terms as nested too deeply, without a stack trace; 200 format", async () => {
    const chain = (n: number) => `model m {\n  input x: [B, 4]\n  target y: [B, 4]\n  h = ${Array(n).fill("x").join(" + ")}\n  loss mse(h, y)\n}\n`;
    const long = write("long.nn", chain(10_000));
    expect(await run([long])).toBe(1);
    expect(err.join("")).toMatch(/long\.nn:4:3: error\[E0108\]: this is nested more than 200 levels deep/);
    const fine = write("fine.nn", chain(200));
    expect(await run([fine])).toBe(0);
    expect(readFileSync(fine, "utf8")).toContain("x + x");
  });

  it("no files or an unknown option is a user error", async () => {
    await expect(run([])).rejects.toThrow(UserError);
    await expect(run(["--frobnicate", "x.nn"])).rejects.toThrow(/unknown option/);
  });
});
