// The demo page's pure parts, without a browser: a drawn digit made into MNIST's 784 pixels
// (examples/web/digit-pixels.ts), and the digits file written by the build and read by the page
// (examples/web/digits.ts).

import { describe, expect, it } from "vitest";
import { centerOfMass, digitPixels, type Stroke } from "../../examples/web/digit-pixels.ts";
import { decodeDigits, encodeDigits } from "../../examples/web/digits.ts";

const PAD = 280;
// A "7" in the pad's coordinates, scaled by `s` and moved by (dx, dy).
const seven = (s: number, dx: number, dy: number): Stroke[] => [
  [
    { x: 80, y: 70 },
    { x: 200, y: 70 },
    { x: 130, y: 230 },
  ].map((p) => ({ x: p.x * s + dx, y: p.y * s + dy })),
];

// The rows and columns that hold ink.
function extent(pixels: Float32Array): { rows: number; cols: number } {
  const rows = new Set<number>();
  const cols = new Set<number>();
  pixels.forEach((v, i) => {
    if (v === 0) return;
    rows.add(Math.floor(i / 28));
    cols.add(i % 28);
  });
  return { rows: Math.max(...rows) - Math.min(...rows) + 1, cols: Math.max(...cols) - Math.min(...cols) + 1 };
}

describe("a drawn digit as MNIST's pixels", () => {
  it("is null with no ink", () => {
    expect(digitPixels([], PAD)).toBeNull();
  });

  it("fits a 20-pixel box, has its center of mass at the image's center, and is in [0, 1]", () => {
    const pixels = digitPixels(seven(1, 0, 0), PAD)!;
    expect(pixels).toHaveLength(784);
    expect(pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...pixels)).toBe(1);
    const { rows, cols } = extent(pixels);
    expect(Math.max(rows, cols)).toBeLessThanOrEqual(21); // 20, and a pixel the anti-aliased edge may touch
    expect(Math.max(rows, cols)).toBeGreaterThanOrEqual(19);
    const mass = centerOfMass(pixels);
    expect(mass.x).toBeCloseTo(14, 0);
    expect(mass.y).toBeCloseTo(14, 0);
  });

  it("is the same whether the digit was drawn small and off-center or large and centered", () => {
    const large = digitPixels(seven(1, 0, 0), PAD)!;
    const small = digitPixels(seven(0.5, 10, 120), PAD)!;
    const difference = large.reduce((sum, v, i) => sum + Math.abs(v - small[i]!), 0);
    expect(difference / large.reduce((a, b) => a + b, 0)).toBeLessThan(0.05);
  });

  it("keeps a dot a dot instead of blowing it up to fill the box", () => {
    const dot = digitPixels([[{ x: 140, y: 140 }]], PAD)!;
    expect(Math.max(extent(dot).rows, extent(dot).cols)).toBeLessThanOrEqual(4);
  });
});

describe("the page's digits file", () => {
  it("round-trips digits (pixels to 1/255) and labels", () => {
    const x = Float32Array.from({ length: 3 * 784 }, (_, i) => ((i * 37) % 256) / 255);
    const sets = { train: { x: x.slice(0, 2 * 784), y: Int32Array.from([3, 9]) }, test: { x: x.slice(2 * 784), y: Int32Array.from([0]) } };
    const bytes = encodeDigits(sets);
    expect(bytes.length).toBe(16 + 3 * 785);
    const back = decodeDigits(bytes);
    expect(Array.from(back.train.y)).toEqual([3, 9]);
    expect(Array.from(back.test.y)).toEqual([0]);
    back.train.x.forEach((v, i) => expect(Math.abs(v - sets.train.x[i]!)).toBeLessThan(1e-6));
    back.test.x.forEach((v, i) => expect(Math.abs(v - sets.test.x[i]!)).toBeLessThan(1e-6));
  });

  it("refuses bytes that are not one", () => {
    expect(() => decodeDigits(new Uint8Array(40))).toThrow(/not an nnc demo digits file/);
    const bytes = encodeDigits({ train: { x: new Float32Array(784), y: Int32Array.from([1]) }, test: { x: new Float32Array(0), y: new Int32Array(0) } });
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1))).toThrow(/should hold 1 digits/);
  });
});
