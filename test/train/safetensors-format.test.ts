// The safetensors format as the reference implementation (and so PyTorch's safetensors.torch)
// writes it: an 8-byte little-endian header length, the JSON header, then the raw little-endian
// data. Files are built here byte by byte, independently of the encoder, and every malformed one
// must fail with a CheckpointError that names the file.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeAtomically,
  writeSafetensors,
} from "../../runtime/train/safetensors.ts";

const folder = mkdtempSync(join(tmpdir(), "nnc-safetensors-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A safetensors file from a header (an object, or raw text) and the data bytes.
function build(header: unknown, data: Uint8Array | number[] = []): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const json = Buffer.from(text, "utf8");
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

// Little-endian bytes of values written with a DataView setter.
function le(size: number, values: (number | bigint)[], set: (view: DataView, at: number, value: never) => void): number[] {
  const view = new DataView(new ArrayBuffer(size * values.length));
  values.forEach((v, i) => set(view, size * i, v as never));
  return Array.from(new Uint8Array(view.buffer));
}
const f32 = (...v: number[]) => le(4, v, (d, at, x) => d.setFloat32(at, x, true));
const f64 = (...v: number[]) => le(8, v, (d, at, x) => d.setFloat64(at, x, true));
const i32 = (...v: number[]) => le(4, v, (d, at, x) => d.setInt32(at, x, true));
const i64 = (...v: bigint[]) => le(8, v, (d, at, x) => d.setBigInt64(at, x, true));
const u16 = (...v: number[]) => le(2, v, (d, at, x) => d.setUint16(at, x, true));

function expectCheckpointError(action: () => unknown, file: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, "no error thrown").toBeInstanceOf(CheckpointError);
  const error = caught as CheckpointError;
  expect(error.file).toBe(file);
  expect(error.message.startsWith(`${file}: `)).toBe(true);
  expect(error.message).toMatch(pattern);
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(".tmp"));
}

describe("safetensors: writing", () => {
  it("lays out a tiny file byte for byte: LE length, JSON header padded with spaces to 8 bytes, F32 LE data", () => {
    const bytes = encodeSafetensors({ w: { shape: [2], data: Float32Array.from([1, -2]) } });
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes
    const padded = json + "  "; // 56, a multiple of 8
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0,
      ...Buffer.from(padded, "utf8"),
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0xc0, // -2.0f
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it("puts __metadata__ in the header and no __metadata__ key when there is none", () => {
    const bytes = encodeSafetensors({ b: { shape: [1], data: Float32Array.from([0.5]) } }, { format: "pt", note: "hi" });
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString("utf8")) as Record<string, unknown>;
    expect(header.__metadata__).toEqual({ format: "pt", note: "hi" });
    expect(header.b).toEqual({ dtype: "F32", shape: [1], data_offsets: [0, 4] });
    const plain = encodeSafetensors({ b: { shape: [1], data: Float32Array.from([0.5]) } });
    expect(Buffer.from(plain).toString("utf8")).not.toContain("__metadata__");
  });

  it("stores tensors one after another with no gaps, and aligns the data even with non-ASCII names", () => {
    const bytes = encodeSafetensors({
      "poids_é.weight": { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      "x.bias": { shape: [3], data: Float32Array.from([7, 8, 9]) },
    });
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + length) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString("utf8")) as Record<string, { data_offsets: number[] }>;
    expect(header["poids_é.weight"]!.data_offsets).toEqual([0, 24]);
    expect(header["x.bias"]!.data_offsets).toEqual([24, 36]);
    expect(bytes.length).toBe(8 + length + 36);
    expect(Array.from(bytes.subarray(8 + length + 24))).toEqual(f32(7, 8, 9));
  });

  it("encodes a Float32Array that is a view into a larger buffer by its own values only", () => {
    const backing = Float32Array.from([100, 1, 2, 3, 200]);
    const bytes = encodeSafetensors({ v: { shape: [3], data: backing.subarray(1, 4) } });
    expect(Array.from(bytes.subarray(bytes.length - 12))).toEqual(f32(1, 2, 3));
  });

  it("writes I64 tensors (batch norm's num_batches_tracked) as PyTorch does: 8 bytes each, exactly, with their dtype read back", () => {
    const bytes = encodeSafetensors({ w: { shape: [1], data: Float32Array.of(0.5) }, n: { shape: [], dtype: "I64", data: BigInt64Array.of((1n << 40n) + 1n) } });
    const json = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"n":{"dtype":"I64","shape":[],"data_offsets":[4,12]}}';
    const padded = json + " ".repeat((8 - ((8 + json.length) % 8)) % 8);
    expect(Array.from(bytes)).toEqual(Array.from(build(padded, [...f32(0.5), ...i64((1n << 40n) + 1n)])));
    const { tensors } = decodeSafetensors(bytes, "counter");
    expect(tensors.n).toMatchObject({ shape: [], dtype: "I64" });
    expect(tensors.w!.dtype).toBe("F32");
  });

  it("refuses a tensor whose values do not match its shape (an internal error, not the user's)", () => {
    expect(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/internal error.*`w`.*\[2, 2\].*3 values/);
  });
});

describe("safetensors: round trips", () => {
  const tensors = {
    "h1.weight": { shape: [3, 2], data: Float32Array.from([0.1, -0.2, 3.5, -1e-30, 1e30, Math.PI]) },
    "h1.bias": { shape: [3], data: Float32Array.from([Infinity, -Infinity, -0]) },
    scalar: { shape: [], data: Float32Array.from([42]) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
    odd: { shape: [1], data: Float32Array.from([7]) },
  };

  function expectSame(got: Record<string, { shape: number[]; data: Float32Array }>): void {
    expect(Object.keys(got).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, { shape, data }] of Object.entries(tensors)) {
      expect(got[name]!.shape, name).toEqual(shape);
      expect(got[name]!.data, name).toBeInstanceOf(Float32Array);
      expect(Array.from(got[name]!.data), name).toEqual(Array.from(data));
    }
  }

  it("decodes what it encodes, values bit for bit, with the metadata", () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { model: "m" }), "memory");
    expectSame(decoded.tensors);
    expect(Object.is(decoded.tensors["h1.bias"]!.data[2], -0)).toBe(true);
    expect(decoded.metadata).toEqual({ model: "m" });
  });

  it("reads back what it writes to disk (through a Node Buffer, whose slice is a view)", () => {
    const path = join(folder, "round-trip.safetensors");
    writeSafetensors(path, tensors, { a: "1" });
    const read = readSafetensors(path);
    expectSame(read.tensors);
    expect(read.metadata).toEqual({ a: "1" });
    // Each tensor owns exactly its values, not a view of the whole file.
    expect(read.tensors["h1.weight"]!.data.buffer.byteLength).toBe(24);
    expect(tempFiles(folder)).toEqual([]);
  });

  it("decodes bytes that sit at an odd offset inside a larger buffer", () => {
    const bytes = encodeSafetensors(tensors);
    const larger = Buffer.alloc(bytes.length + 5);
    larger.set(bytes, 3);
    expectSame(decodeSafetensors(larger.subarray(3, 3 + bytes.length), "inner").tensors);
  });
});

describe("safetensors: reading files other tools wrote", () => {
  it("reads F64, I64, I32, F16 and BF16 tensors, unpadded headers and unaligned offsets, into Float32Array", () => {
    // Laid out as written here: an F16 of 3 values (6 bytes) puts the F32 after it at offset 6.
    const data = [
      ...u16(0x3c00, 0xc000, 0x3555), // F16: 1, -2, 0.333251953125
      ...f32(0.75, -8),
      ...f64(1.5, -2.25, 1e-3),
      ...i64(3n, -4n, 1n << 40n),
      ...i32(7, -8),
      ...u16(0x3f80, 0xc040, 0x4049), // BF16: 1, -3, 3.140625
    ];
    const file = build(
      {
        __metadata__: { format: "pt" },
        half: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
        single: { dtype: "F32", shape: [2], data_offsets: [6, 14] },
        double: { dtype: "F64", shape: [3, 1], data_offsets: [14, 38] },
        long: { dtype: "I64", shape: [3], data_offsets: [38, 62] },
        int: { dtype: "I32", shape: [1, 2], data_offsets: [62, 70] },
        brain: { dtype: "BF16", shape: [3], data_offsets: [70, 76] },
      },
      data,
    );
    const { tensors, metadata } = decodeSafetensors(file, "torch.safetensors");
    expect(metadata).toEqual({ format: "pt" });
    expect(Array.from(tensors.half!.data)).toEqual([1, -2, 0.333251953125]);
    expect(Array.from(tensors.single!.data)).toEqual([0.75, -8]);
    expect(tensors.double!.shape).toEqual([3, 1]);
    expect(Array.from(tensors.double!.data)).toEqual([1.5, -2.25, Math.fround(1e-3)]);
    expect(Array.from(tensors.long!.data)).toEqual([3, -4, 2 ** 40]);
    expect(Array.from(tensors.int!.data)).toEqual([7, -8]);
    expect(Array.from(tensors.brain!.data)).toEqual([1, -3, 3.140625]);
    for (const t of Object.values(tensors)) expect(t.data).toBeInstanceOf(Float32Array);
  });

  it("reads F16 subnormals, the largest half, infinities and NaN", () => {
    const file = build({ h: { dtype: "F16", shape: [7], data_offsets: [0, 14] } }, u16(0x0001, 0x03ff, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000));
    const values = Array.from(decodeSafetensors(file, "half").tensors.h!.data);
    expect(values[0]).toBe(2 ** -24);
    expect(values[1]).toBe(1023 * 2 ** -24);
    expect(values[2]).toBe(65504);
    expect(values[3]).toBe(Infinity);
    expect(values[4]).toBe(-Infinity);
    expect(values[5]).toBeNaN();
    expect(Object.is(values[6], -0)).toBe(true);
  });

  it("reads a header padded with spaces, as the reference writer pads it", () => {
    const file = build('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}      ', f32(2.5));
    expect(Array.from(decodeSafetensors(file, "padded").tensors.x!.data)).toEqual([2.5]);
  });
});

describe("safetensors: malformed files", () => {
  const F = "bad.safetensors";

  it("too short to hold the header length", () => {
    expectCheckpointError(() => decodeSafetensors(new Uint8Array(4), F), F, /too short/);
    expectCheckpointError(() => decodeSafetensors(new Uint8Array(0), F), F, /0 bytes long/);
  });

  it("an absurd header length (a file that is not safetensors at all)", () => {
    const bytes = new Uint8Array(16).fill(0xff);
    expectCheckpointError(() => decodeSafetensors(bytes, F), F, /not a safetensors file.*header length of 18446744073709551615/);
    expectCheckpointError(() => decodeSafetensors(Buffer.from("PK\u0003\u0004 this is a zip file"), F), F, /not a safetensors file/);
  });

  it("a header longer than the file", () => {
    const bytes = new Uint8Array(18);
    new DataView(bytes.buffer).setBigUint64(0, 100n, true);
    expectCheckpointError(() => decodeSafetensors(bytes, F), F, /truncated.*100 bytes.*only 10 bytes/);
  });

  it("a header that is not a JSON object", () => {
    expectCheckpointError(() => decodeSafetensors(build('{"w": oops}'), F), F, /bad header JSON/);
    expectCheckpointError(() => decodeSafetensors(build("[1, 2]"), F), F, /does not start with `\{`/);
    expectCheckpointError(() => decodeSafetensors(build("{} trailing"), F), F, /bad header JSON/);
  });

  it("data_offsets beyond the data (a truncated file)", () => {
    const file = build({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32(1, 2));
    expectCheckpointError(() => decodeSafetensors(file, F), F, /`w`.*0–16.*only 8 bytes of data.*truncated/);
  });

  it("a shape that does not match the bytes", () => {
    const file = build({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32(1, 2));
    expectCheckpointError(() => decodeSafetensors(file, F), F, /`w` has shape \[3\] of F32 \(12 bytes\) but its data_offsets cover 8 bytes/);
    const wide = build({ w: { dtype: "F64", shape: [2], data_offsets: [0, 8] } }, f32(1, 2));
    expectCheckpointError(() => decodeSafetensors(wide, F), F, /F64 \(16 bytes\)/);
  });

  it("an unsupported dtype, listing the ones that are read", () => {
    const file = build({ mask: { dtype: "BOOL", shape: [4], data_offsets: [0, 4] } }, [1, 0, 1, 0]);
    expectCheckpointError(() => decodeSafetensors(file, F), F, /`mask` has the unsupported dtype BOOL \(nnc reads F32, F64, F16, BF16, I64, I32\)/);
  });

  it("entries without a dtype, a shape or two increasing offsets", () => {
    const cases: [unknown, RegExp][] = [
      [{ w: 3 }, /entry of tensor `w` is not a JSON object/],
      [{ w: { shape: [1], data_offsets: [0, 4] } }, /`w` has no dtype/],
      [{ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, /`w` has no valid shape/],
      [{ w: { dtype: "F32", shape: "1", data_offsets: [0, 4] } }, /`w` has no valid shape/],
      [{ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, /`w` has no valid data_offsets/],
      [{ w: { dtype: "F32", shape: [1], data_offsets: [0] } }, /`w` has no valid data_offsets/],
      [{ __metadata__: { epoch: 3 } }, /`__metadata__.epoch` is not a string/],
      [{ __metadata__: [] }, /`__metadata__` is not a JSON object/],
    ];
    for (const [header, pattern] of cases) expectCheckpointError(() => decodeSafetensors(build(header, f32(1)), F), F, pattern);
  });

  it("a missing file, and a folder where a file should be", () => {
    const missing = join(folder, "nope.safetensors");
    expectCheckpointError(() => readSafetensors(missing), missing, /no such file/);
    const dir = join(folder, "a-folder.safetensors");
    mkdirSync(dir);
    expectCheckpointError(() => readSafetensors(dir), dir, /is a folder/);
  });

  it("a malformed file on disk is reported under its path", () => {
    const path = join(folder, "garbage.safetensors");
    writeFileSync(path, "hello");
    expectCheckpointError(() => readSafetensors(path), path, /too short/);
  });
});

describe("safetensors: atomic writes", () => {
  it("replaces an existing file whole, leaving no temp file", () => {
    const path = join(folder, "replace.safetensors");
    writeSafetensors(path, { a: { shape: [1], data: Float32Array.from([1]) } });
    writeSafetensors(path, { b: { shape: [2], data: Float32Array.from([2, 3]) } });
    expect(Object.keys(readSafetensors(path).tensors)).toEqual(["b"]);
    expect(tempFiles(folder)).toEqual([]);
  });

  it("into a folder that does not exist: a CheckpointError, and no file or folder is created", () => {
    const dir = join(folder, "missing-dir");
    const path = join(dir, "w.safetensors");
    expectCheckpointError(() => writeAtomically(path, new Uint8Array([1, 2, 3])), path, /cannot write/);
    expect(existsSync(dir)).toBe(false);
    expect(tempFiles(folder)).toEqual([]);
  });

  it("over a folder: a CheckpointError, the folder and its contents untouched, no temp file left", () => {
    const dir = join(folder, "target-is-folder");
    mkdirSync(dir);
    writeFileSync(join(dir, "inside.txt"), "keep me");
    expectCheckpointError(() => writeSafetensors(dir, { a: { shape: [1], data: Float32Array.from([1]) } }), dir, /cannot write/);
    expect(readFileSync(join(dir, "inside.txt"), "utf8")).toBe("keep me");
    expect(tempFiles(folder)).toEqual([]);
  });

  it("a write that fails keeps the old file as it was", () => {
    const sub = join(folder, "keep-old");
    mkdirSync(sub);
    const path = join(sub, "model.safetensors");
    writeSafetensors(path, { old: { shape: [1], data: Float32Array.from([1]) } });
    const before = readFileSync(path);
    // Block the temp file's path with a folder, so opening the temp file fails.
    const blocker = join(sub, ".model.safetensors.tmp");
    mkdirSync(blocker);
    expectCheckpointError(() => writeSafetensors(path, { new: { shape: [1], data: Float32Array.from([2]) } }), path, /cannot write/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(Object.keys(readSafetensors(path).tensors)).toEqual(["old"]);
    rmSync(blocker, { recursive: true });
  });
});
