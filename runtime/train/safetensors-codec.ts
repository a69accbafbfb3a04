// The safetensors format, which PyTorch (safetensors.torch) and others read and write: an 8-byte
// little-endian header length N, N bytes of UTF-8 JSON naming each tensor's dtype, shape and byte
// range in the data (`data_offsets`, relative to the end of the header) plus an optional
// "__metadata__" map of strings, then the raw little-endian data, tensor after tensor with no gaps.
// nnc writes F32 (and I64 for PyTorch's integer buffers, batch norm's num_batches_tracked) and
// reads F32, F64, F16, BF16, I64 and I32 (converted to Float32Array, with the file's dtype kept).
//
// This file turns tensors into a file's bytes and back, and nothing else: it uses no Node module,
// so the browser runtime (`nnc/runtime`) reads and writes weights with it too. Files on disk, with
// atomic writes, are safetensors.ts.
//
// The header is padded with spaces (which the format allows) so the data starts 8-byte aligned.

export interface Tensor {
  shape: number[];
  data: Float32Array;
  // When read: the dtype the file stores the tensor in (its values are converted to float32).
  dtype?: string;
}

// A tensor written as 64-bit integers, PyTorch's dtype for counters (batch norm's
// num_batches_tracked), whose values a Float32Array could not hold exactly past 2^24.
export interface Int64Tensor {
  shape: number[];
  dtype: "I64";
  data: BigInt64Array;
}

export type WritableTensor = Tensor | Int64Tensor;

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

// A checkpoint or weights file that cannot be read or written. The message names the file and
// says what is wrong with it, so the CLI can print it as it is.
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "CheckpointError";
  }
}

// The dtypes nnc reads, with their sizes in bytes.
const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4 };

// The reference implementation refuses headers above 100 MB; so do we, which also catches files
// that are not safetensors at all (their first 8 bytes read as a huge length).
export const MAX_HEADER_BYTES = 100_000_000;

// On a little-endian machine (every machine Node and the browsers run on in practice) Float32Array's
// bytes are already in the file's order, so tensors are copied as bytes rather than value by value.
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export function encodeSafetensors(tensors: Record<string, WritableTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const names = Object.keys(tensors);
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name]!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(`internal error: tensor \`${name}\` has shape [${shape.join(", ")}] but ${data.length} values`);
    }
    const dtype = data instanceof BigInt64Array ? "I64" : "F32";
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces (one byte each in UTF-8) pad the header so that the data starts 8-byte aligned.
  const padding = (8 - ((8 + json.length) % 8)) % 8;
  const headerBytes = new Uint8Array(json.length + padding).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name]!;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) view.setBigInt64(at + 8 * i, data[i]!, true);
    else for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
    at += data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new CheckpointError(file, problem);
  };
  if (bytes.length < 8) fail(`not a safetensors file: it is ${bytes.length} bytes long, too short to hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) fail(`not a safetensors file: its first 8 bytes give a header length of ${declared} bytes`);
  const headerSize = Number(declared);
  if (headerSize > bytes.length - 8) {
    fail(`truncated, or not a safetensors file: its header should be ${headerSize} bytes long but only ${bytes.length - 8} bytes follow the length`);
  }
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerSize));
  if (!text.startsWith("{")) fail("not a safetensors file: its header does not start with `{`");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`bad header JSON: ${(error as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("bad header: it is not a JSON object");

  const dataStart = 8 + headerSize;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  const ranges: { name: string; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = readMetadata(entry, fail);
      continue;
    }
    const { dtype, shape, begin, end } = readEntry(name, entry, fail);
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) fail(`tensor \`${name}\` has the unsupported dtype ${dtype} (nnc reads ${Object.keys(DTYPE_BYTES).join(", ")})`);
    if (end > dataLength) {
      fail(`tensor \`${name}\` lies at bytes ${begin}–${end} of the data, but the file holds only ${dataLength} bytes of data: the file is truncated`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (count * size! !== end - begin) {
      fail(`tensor \`${name}\` has shape [${shape.join(", ")}] of ${dtype} (${count * size!} bytes) but its data_offsets cover ${end - begin} bytes`);
    }
    tensors[name] = { shape, data: toFloat32(bytes, dataStart + begin, count, dtype), dtype };
    ranges.push({ name, begin, end });
  }
  checkOverlaps(ranges, fail);
  return { tensors, metadata };
}

// Two tensors must not share bytes: a file whose entries overlap was written wrongly (or crafted),
// and reading it would silently give two tensors the same values. Empty tensors take no bytes, so
// they may sit anywhere. Gaps between tensors, which the reference implementation also refuses,
// are let through: they lose nothing.
function checkOverlaps(ranges: { name: string; begin: number; end: number }[], fail: (problem: string) => never): void {
  const sorted = ranges.filter((r) => r.end > r.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const [before, after] = [sorted[i - 1]!, sorted[i]!];
    if (after.begin < before.end) {
      fail(`tensors \`${before.name}\` (bytes ${before.begin}–${before.end}) and \`${after.name}\` (bytes ${after.begin}–${after.end}) overlap in the data`);
    }
  }
}

function readMetadata(entry: unknown, fail: (problem: string) => never): Record<string, string> {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) fail("bad header: `__metadata__` is not a JSON object");
  for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof value !== "string") fail(`bad header: \`__metadata__.${key}\` is not a string`);
  }
  return entry as Record<string, string>;
}

function readEntry(name: string, entry: unknown, fail: (problem: string) => never): { dtype: string; shape: number[]; begin: number; end: number } {
  const count = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof e !== "object" || e === null) fail(`bad header: the entry of tensor \`${name}\` is not a JSON object`);
  if (typeof e!.dtype !== "string") fail(`bad header: tensor \`${name}\` has no dtype`);
  if (!Array.isArray(e!.shape) || !e!.shape.every(count)) fail(`bad header: tensor \`${name}\` has no valid shape (a list of sizes)`);
  const offsets = e!.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(count) || offsets[0] > offsets[1]) {
    fail(`bad header: tensor \`${name}\` has no valid data_offsets (two increasing byte offsets)`);
  }
  return { dtype: e!.dtype as string, shape: e!.shape as number[], begin: (offsets as number[])[0]!, end: (offsets as number[])[1]! };
}

function toFloat32(bytes: Uint8Array, at: number, count: number, dtype: string): Float32Array {
  if (dtype === "F32" && LITTLE_ENDIAN) {
    // Copy into a fresh, 4-byte-aligned buffer whatever the tensor's offset in the file. Not with
    // `bytes.slice`: on a Buffer (what readFileSync returns) slice is a view of the whole file.
    const copy = new Uint8Array(4 * count);
    copy.set(bytes.subarray(at, at + 4 * count));
    return new Float32Array(copy.buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * DTYPE_BYTES[dtype]!);
  const out = new Float32Array(count);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case "F32":
        out[i] = view.getFloat32(4 * i, true);
        break;
      case "F64":
        out[i] = view.getFloat64(8 * i, true);
        break;
      case "I64":
        out[i] = Number(view.getBigInt64(8 * i, true));
        break;
      case "I32":
        out[i] = view.getInt32(4 * i, true);
        break;
      case "F16":
        out[i] = halfToFloat(view.getUint16(2 * i, true));
        break;
      case "BF16":
        // bfloat16 is the top half of a float32.
        bits[0] = view.getUint16(2 * i, true) << 16;
        out[i] = asFloat[0]!;
        break;
    }
  }
  return out;
}

// IEEE 754 binary16 to a number (subnormals, infinities and NaN included).
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
