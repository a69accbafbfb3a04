// The failures of the file system that a user can meet writing a log or a report, which the tests
// cannot cause for real (they run as root, and disks do not fill on demand): a place nnc may not
// write (EACCES) is refused before training with "permission denied"; a log whose disk fills up
// while the run trains stops the run with the file and the reason, keeping what was written; a
// report that cannot be written at the end says which file and why. Opening a path containing
// "forbidden", or writing a whole file whose path contains "locked", is refused as the kernel
// would; writes to an open file fail once `diskFull` is set.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkOutputTarget } from "../../cli/output-target.ts";
import { checkRunLog, openRunLog } from "../../cli/run-log.ts";
import { writeReport } from "../../cli/report/files.ts";
import { UserError } from "../../cli/user-error.ts";

const fail = { diskFull: false };

vi.mock("node:fs", async (original) => {
  const actual = await original<typeof import("node:fs")>();
  const refuse = (path: unknown, call: string) => {
    throw Object.assign(new Error(`EACCES: permission denied, ${call} '${String(path)}'`), { code: "EACCES", errno: -13, syscall: call, path });
  };
  const openSync = ((path: string, ...rest: unknown[]) => {
    if (String(path).includes("forbidden")) refuse(path, "open");
    return (actual.openSync as (...args: unknown[]) => number)(path, ...rest);
  }) as typeof actual.openSync;
  const writeSync = ((...args: unknown[]) => {
    if (fail.diskFull) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
    return (actual.writeSync as (...args: unknown[]) => number)(...args);
  }) as typeof actual.writeSync;
  const writeFileSync = ((path: string, ...rest: unknown[]) => {
    if (String(path).includes("locked")) refuse(path, "open");
    return (actual.writeFileSync as (...args: unknown[]) => void)(path, ...rest);
  }) as typeof actual.writeFileSync;
  const mocked = { ...actual, openSync, writeSync, writeFileSync };
  return { ...mocked, default: mocked };
});

const dir = mkdtempSync(join(tmpdir(), "nnc-targets-"));
const LOG_KIND = { what: "the log", option: "--log", recognize: () => true };

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error("expected a UserError");
}

afterEach(() => {
  fail.diskFull = false;
});

describe("writing where nnc may not", () => {
  it("a new file in a folder nnc may not write: permission denied, before training", () => {
    expect(message(() => checkOutputTarget("run", join(dir, "forbidden.jsonl"), LOG_KIND, []))).toBe(
      `nnc run: cannot write the log to ${join(dir, "forbidden.jsonl")} (--log): permission denied`,
    );
  });

  it("an earlier log nnc may no longer write: permission denied, and the file is left as it was", () => {
    const path = join(dir, "forbidden-old.csv");
    writeFileSync(path, "kind,epoch,step,lr,loss,seconds,train_loss\n");
    expect(message(() => checkRunLog(path, []))).toMatch(/forbidden-old\.csv \(--log\): permission denied$/);
    expect(readFileSync(path, "utf8")).toBe("kind,epoch,step,lr,loss,seconds,train_loss\n");
  });

  it("a disk that fills while the run trains: the log's file and the reason, and the lines written stay", () => {
    const path = join(dir, "full.jsonl");
    const log = openRunLog(path, "jsonl", { model: "m", file: "m.nn", backend: "cpu" });
    log.record({ kind: "run", format: "nnc-history-1", epochs: 1, first_epoch: 1, steps_per_epoch: 1, step_stride: 1, columns: [] });
    fail.diskFull = true;
    expect(message(() => log.record({ kind: "step", step: 1, epoch: 1, loss: 1, lr: 0.1 }))).toBe(`nnc run: cannot write the log to ${path} (--log): the disk is full`);
    expect(readFileSync(path, "utf8")).toMatch(/^\{"kind":"run",.*\}\n$/);
  });

  it("a report that cannot be written at the end names the file", () => {
    const page = { title: "t", lines: [], results: [], plots: [], texts: [] };
    expect(message(() => writeReport("run", join(dir, "locked.html"), page))).toMatch(/cannot write the report file \S+locked\.html: permission denied/);
  });
});
