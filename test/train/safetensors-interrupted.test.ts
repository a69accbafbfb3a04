// An interrupted write (the disk fills up halfway through) must leave the previous checkpoint
// whole and no partial file behind. node:fs is wrapped so one write can be made to fail after
// writing part of its bytes, as a full disk does.

import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CheckpointError, readSafetensors, writeSafetensors } from "../../runtime/train/safetensors.ts";

vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  return { ...actual, writeSync: vi.fn(actual.writeSync) };
});

describe("an interrupted write", () => {
  it("keeps the old file intact and removes the partial temp file", async () => {
    const actual = await vi.importActual<typeof import("node:fs")>("node:fs");
    const dir = fs.mkdtempSync(join(tmpdir(), "nnc-st-"));
    const path = join(dir, "run.safetensors");
    writeSafetensors(path, { w: { shape: [2], data: Float32Array.from([1, 2]) } }, { epoch: "1" });
    const before = fs.readFileSync(path);

    vi.mocked(fs.writeSync).mockImplementationOnce(((fd: number, buffer: Uint8Array) => {
      actual.writeSync(fd, buffer, 0, 10);
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }) as unknown as typeof fs.writeSync);
    expect(() => writeSafetensors(path, { w: { shape: [3], data: Float32Array.from([4, 5, 6]) } }, { epoch: "2" })).toThrow(
      `${path}: cannot write: ENOSPC: no space left on device, write`,
    );
    expect(vi.mocked(fs.writeSync)).toHaveBeenCalled();

    expect(fs.readdirSync(dir)).toEqual(["run.safetensors"]);
    expect(fs.readFileSync(path).equals(before)).toBe(true);
    expect(readSafetensors(path).metadata).toEqual({ epoch: "1" });
  });

  it("reports the failure as a CheckpointError", () => {
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw new Error("EIO: i/o error, write");
    });
    const path = join(fs.mkdtempSync(join(tmpdir(), "nnc-st-")), "x.safetensors");
    expect(() => writeSafetensors(path, {})).toThrow(CheckpointError);
    expect(fs.existsSync(path)).toBe(false);
  });
});
