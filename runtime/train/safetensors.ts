// The safetensors format, which PyTorch (safetensors.torch) and others read and write: an 8-byte
// little-endian header length N, N bytes of JSON naming each tensor's dtype, shape and byte range
// (plus a "__metadata__" map of strings), then the raw little-endian data. nnc writes F32 and
// reads F32, F64, F16, BF16, I64 and I32 (converted to Float32Array). Writes are atomic: a temp
// file in the same folder, fsync, then rename, so a failure never leaves a half-written file.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "CheckpointError";
  }
}

const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4 };

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const { shape, data } = tensors[name]!;
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the format allows.
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name]!;
    for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i]!, true);
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new CheckpointError(file, "not a safetensors file (shorter than its 8-byte header length)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = Number(view.getBigUint64(0, true));
  if (headerSize > bytes.length - 8 || headerSize > 100_000_000) {
    throw new CheckpointError(file, `not a safetensors file (its header claims ${headerSize} bytes, the file has ${bytes.length})`);
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerSize)).toString("utf8"));
  } catch {
    throw new CheckpointError(file, "not a safetensors file (its header is not JSON)");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new CheckpointError(file, "the header is not a JSON object");
  const dataStart = 8 + headerSize;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const size = BYTES[dtype];
    if (!size) throw new CheckpointError(file, `tensor \`${name}\` has the unsupported dtype ${dtype}`);
    if (!Array.isArray(shape) || !Array.isArray(data_offsets) || data_offsets.length !== 2) throw new CheckpointError(file, `tensor \`${name}\` has a malformed header entry`);
    const [begin, end] = data_offsets;
    if (!(begin >= 0 && end >= begin && end <= dataLength)) {
      throw new CheckpointError(file, `tensor \`${name}\` lies outside the file (bytes ${begin}–${end} of ${dataLength}); the file may be truncated`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) throw new CheckpointError(file, `tensor \`${name}\` has shape [${shape.join(", ")}] but ${end - begin} bytes of ${dtype}`);
    tensors[name] = { shape, data: convert(view, dataStart + begin, count, dtype) };
  }
  return { tensors, metadata };
}

function convert(view: DataView, at: number, count: number, dtype: string): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case "F32":
        out[i] = view.getFloat32(at + 4 * i, true);
        break;
      case "F64":
        out[i] = view.getFloat64(at + 8 * i, true);
        break;
      case "I64":
        out[i] = Number(view.getBigInt64(at + 8 * i, true));
        break;
      case "I32":
        out[i] = view.getInt32(at + 4 * i, true);
        break;
      case "F16":
        out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
        break;
      case "BF16":
        out[i] = new Float32Array(new Uint32Array([view.getUint16(at + 2 * i, true) << 16]).buffer)[0]!;
        break;
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  writeAtomically(path, encodeSafetensors(tensors, metadata));
}

export function readSafetensors(path: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === "ENOENT" ? "no such file" : (error as Error).message);
  }
  return decodeSafetensors(bytes, path);
}

export function writeAtomically(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new CheckpointError(path, `cannot write: ${(error as Error).message}`);
  }
}
