// A drawn digit as MNIST's 784 pixels. MNIST's digits were made this way (LeCun et al.): each
// digit scaled, keeping its aspect ratio, to fit a 20×20 box, anti-aliased, then placed in the
// 28×28 image so that its center of mass (of the pixel intensities) is the image's center. A model
// trained on them expects exactly that, so a digit drawn small, large or off-center is normalized
// the same way before the model sees it.
//
// The strokes are re-drawn at the target scale rather than the pad's pixels shrunk: the pen's
// width is then the same in every digit (about MNIST's stroke, STROKE pixels of 28) however large
// the digit was drawn, as in MNIST, where the thickness also survived the size normalization.
// Each pixel's value is the fraction of it the pen covers, measured on a SUPERSAMPLE² grid.

export interface Point {
  x: number;
  y: number;
}

export type Stroke = Point[]; // one pen-down-to-pen-up path, in the pad's coordinates

const SIZE = 28;
const BOX = 20; // the digit, pen width included, fits a BOX × BOX square
const STROKE = 2.5; // the pen's width in output pixels
const SUPERSAMPLE = 4;
// A dot or a short dash would be blown up to fill the box; anything smaller than this (in the
// pad's units) keeps this size instead.
const MIN_EXTENT_FRACTION = 0.25;

// 784 values in [0, 1], row-major (MNIST's layout: 0 is background), or null with no ink.
// `padSize` is the drawing pad's width (and height), for the smallest extent a digit is scaled to.
export function digitPixels(strokes: readonly Stroke[], padSize: number): Float32Array | null {
  const points = strokes.flat();
  if (points.length === 0) return null;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const extent = Math.max(maxX - minX, maxY - minY, MIN_EXTENT_FRACTION * padSize);
  const scale = (BOX - STROKE) / extent;
  // First drawn with the bounding box centered, then shifted so that the center of mass is.
  const place = (dx: number, dy: number) => (p: Point) => ({ x: (p.x - (minX + maxX) / 2) * scale + SIZE / 2 + dx, y: (p.y - (minY + maxY) / 2) * scale + SIZE / 2 + dy });
  const boxed = rasterize(strokes.map((s) => s.map(place(0, 0))));
  const mass = centerOfMass(boxed);
  return rasterize(strokes.map((s) => s.map(place(SIZE / 2 - mass.x, SIZE / 2 - mass.y))));
}

// The intensity-weighted mean position of a 28×28 image, in pixel coordinates (pixel i spans
// [i, i + 1], so the image's center is 14).
export function centerOfMass(pixels: Float32Array): Point {
  let total = 0;
  let x = 0;
  let y = 0;
  for (let row = 0; row < SIZE; row++) {
    for (let col = 0; col < SIZE; col++) {
      const v = pixels[row * SIZE + col]!;
      total += v;
      x += v * (col + 0.5);
      y += v * (row + 0.5);
    }
  }
  return total === 0 ? { x: SIZE / 2, y: SIZE / 2 } : { x: x / total, y: y / total };
}

// Strokes in output pixel coordinates drawn with a round pen STROKE wide: each pixel's coverage.
function rasterize(strokes: readonly Stroke[]): Float32Array {
  const segments: [Point, Point][] = [];
  for (const stroke of strokes) {
    if (stroke.length === 1) segments.push([stroke[0]!, stroke[0]!]); // a dot
    for (let i = 1; i < stroke.length; i++) segments.push([stroke[i - 1]!, stroke[i]!]);
  }
  const radius = STROKE / 2;
  const pixels = new Float32Array(SIZE * SIZE);
  const step = 1 / SUPERSAMPLE;
  for (let row = 0; row < SIZE; row++) {
    for (let col = 0; col < SIZE; col++) {
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const point = { x: col + (sx + 0.5) * step, y: row + (sy + 0.5) * step };
          if (segments.some(([a, b]) => distanceToSegment(point, a, b) <= radius)) covered++;
        }
      }
      pixels[row * SIZE + col] = covered / (SUPERSAMPLE * SUPERSAMPLE);
    }
  }
  return pixels;
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}
