// The page's MNIST digits: a few thousand of the digits `nnc run` trains mnist_mlp on, written by
// the demo's build (build.ts) into one small binary file next to the page, and read back here.
// MNIST's pixels are bytes (the `mnist` package stores them as byte/255 rounded to 3 decimals), so
// one byte per pixel loses nothing a digit needs and makes the file 4× smaller than float32s: 785
// bytes per digit, gzipped by the build to about a fifth of that.
//
// The format (little-endian): the magic "NNCD", a u32 version (1), u32 train and test counts, then
// every digit's 784 pixels (train digits first, row-major, 0..255), then every label (one byte).

export const PIXELS = 784;
const MAGIC = 0x44434e4e; // "NNCD" read as a little-endian u32
const HEADER_BYTES = 16;

// Digits as the generated module takes them (its `Examples`): `x` n × 784 pixels in [0, 1], row
// after row, and `y` the n labels 0..9.
export interface Digits {
  x: Float32Array;
  y: Int32Array;
}

export interface DigitSets {
  train: Digits;
  test: Digits;
}

// Train and test digits as the file's bytes.
export function encodeDigits(sets: DigitSets): Uint8Array {
  const { train, test } = sets;
  const n = train.y.length + test.y.length;
  const bytes = new Uint8Array(HEADER_BYTES + n * (PIXELS + 1));
  const header = new DataView(bytes.buffer);
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, 1, true);
  header.setUint32(8, train.y.length, true);
  header.setUint32(12, test.y.length, true);
  bytes.set(Array.from(train.x, (v) => Math.round(v * 255)), HEADER_BYTES);
  bytes.set(Array.from(test.x, (v) => Math.round(v * 255)), HEADER_BYTES + train.x.length);
  bytes.set(train.y, HEADER_BYTES + n * PIXELS);
  bytes.set(test.y, HEADER_BYTES + n * PIXELS + train.y.length);
  return bytes;
}

// The file's bytes back as the two sets.
export function decodeDigits(bytes: Uint8Array): DigitSets {
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER_BYTES || header.getUint32(0, true) !== MAGIC || header.getUint32(4, true) !== 1) {
    throw new Error("the digits file is not an nnc demo digits file (version 1)");
  }
  const [trainCount, testCount] = [header.getUint32(8, true), header.getUint32(12, true)];
  const n = trainCount + testCount;
  if (bytes.length !== HEADER_BYTES + n * (PIXELS + 1)) throw new Error(`the digits file should hold ${n} digits, but its size is ${bytes.length} bytes`);
  const pixels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + n * PIXELS);
  const labels = bytes.subarray(HEADER_BYTES + n * PIXELS);
  const set = (first: number, count: number): Digits => ({
    x: Float32Array.from(pixels.subarray(first * PIXELS, (first + count) * PIXELS), (v) => v / 255),
    y: Int32Array.from(labels.subarray(first, first + count)),
  });
  return { train: set(0, trainCount), test: set(trainCount, testCount) };
}
