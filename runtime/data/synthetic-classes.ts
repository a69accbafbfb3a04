// Seeded synthetic classification sets. Each generator draws from one Rng(seed) in the order its
// comment gives, builds the examples class by class, and finally shuffles the rows with the same
// generator (as scikit-learn's shuffle=True does), so the same arguments always give the same rows
// in the same order. Every class gets n/K examples, the first n mod K classes one more.

import type { DataSource } from "../../compiler/ir/config.ts";
import { Rng } from "../rng.ts";
import { type Dataset, subset } from "./dataset.ts";

type Source<K extends DataSource["kind"]> = Extract<DataSource, { kind: K }>;

// XOR: four Gaussian clusters of standard deviation `noise` around (±1, ±1). A point's label is
// its cluster's: 1 when the centre's signs differ (x·y < 0), 0 when they agree, so with large
// noise some points sit on the "wrong" side, as in real data. Clusters are filled in the order
// (+1,+1), (−1,+1), (−1,−1), (+1,−1) by i mod 4; per point, the x then the y noise is drawn.
export function xor(source: Source<"xor">): Dataset {
  const rng = new Rng(source.seed);
  const centres = [[1, 1], [-1, 1], [-1, -1], [1, -1]] as const;
  return build(source.n, 2, 2, "xor", rng, (i, point) => {
    const [cx, cy] = centres[i % 4]!;
    point[0] = cx + source.noise * rng.normal();
    point[1] = cy + source.noise * rng.normal();
    return cx * cy < 0 ? 1 : 0;
  });
}

// Two moons, as scikit-learn's make_moons: n_out = ⌊n/2⌋ points on the upper half circle
// (cos t, sin t) labelled 0 and n − n_out on the lower one (1 − cos t, 1 − sin t − 0.5) labelled 1,
// t evenly spaced over [0, π] (endpoints included); then N(0, noise²) is added to each coordinate,
// x then y, point by point in that order.
export function moons(source: Source<"moons">): Dataset {
  const rng = new Rng(source.seed);
  const outer = Math.floor(source.n / 2);
  const inner = source.n - outer;
  const angle = (j: number, m: number) => (m > 1 ? (Math.PI * j) / (m - 1) : 0);
  return build(source.n, 2, 2, "moons", rng, (i, point) => {
    const upper = i < outer;
    const t = upper ? angle(i, outer) : angle(i - outer, inner);
    point[0] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + source.noise * rng.normal();
    point[1] = (upper ? Math.sin(t) : 1 - Math.sin(t) - 0.5) + source.noise * rng.normal();
    return upper ? 0 : 1;
  });
}

// Spirals: `classes` arms that each make one full turn around the origin. Arm k's j-th of m points
// has radius r = 0.1 + 0.9·j/(m − 1) and angle 2π·k/K + 2π·r, and sits at r·(cos, sin) plus
// N(0, noise²) per coordinate (x then y). Neighbouring arms are 1/K apart along a ray, so noise 0.1
// keeps three arms separable but not linearly.
export function spirals(source: Source<"spirals">): Dataset {
  const rng = new Rng(source.seed);
  const sizes = classSizes(source.n, source.classes);
  const starts = offsets(sizes);
  return build(source.n, 2, source.classes, "spirals", rng, (i, point) => {
    const k = classOf(i, starts);
    const m = sizes[k]!;
    const r = 0.1 + (0.9 * (i - starts[k]!)) / Math.max(1, m - 1);
    const theta = (2 * Math.PI * k) / source.classes + 2 * Math.PI * r;
    point[0] = r * Math.cos(theta) + source.noise * rng.normal();
    point[1] = r * Math.sin(theta) + source.noise * rng.normal();
    return k;
  });
}

// Blobs, as scikit-learn's make_blobs: `classes` centres drawn uniformly in [−10, 10]^features
// (centre by centre, coordinate by coordinate), then each point is its class's centre plus
// N(0, spread²) per coordinate.
export function blobs(source: Source<"blobs">): Dataset {
  const rng = new Rng(source.seed);
  const d = source.features;
  const centres = Array.from({ length: source.classes }, () => Array.from({ length: d }, () => -10 + 20 * rng.uniform()));
  const starts = offsets(classSizes(source.n, source.classes));
  return build(source.n, d, source.classes, "blobs", rng, (i, point) => {
    const k = classOf(i, starts);
    for (let j = 0; j < d; j++) point[j] = centres[k]![j]! + source.spread * rng.normal();
    return k;
  });
}

// Fills n rows in order with `example(i, point) → label`, then shuffles them with `rng`.
function build(n: number, featureSize: number, classes: number, name: string, rng: Rng, example: (i: number, point: Float64Array) => number): Dataset {
  const features = new Float32Array(n * featureSize);
  const targets = new Float32Array(n);
  const point = new Float64Array(featureSize);
  for (let i = 0; i < n; i++) {
    targets[i] = example(i, point);
    features.set(point, i * featureSize);
  }
  const ordered: Dataset = {
    n,
    features,
    featureSize,
    targets,
    targetSize: 1,
    targetKind: "class",
    classes,
    featureNames: Array.from({ length: featureSize }, (_, j) => `x${j + 1}`),
    classNames: null,
    source: name,
  };
  return subset(ordered, rng.permutation(n));
}

function classSizes(n: number, classes: number): number[] {
  return Array.from({ length: classes }, (_, k) => Math.floor(n / classes) + (k < n % classes ? 1 : 0));
}

function offsets(sizes: number[]): number[] {
  const starts: number[] = [];
  let total = 0;
  for (const size of sizes) {
    starts.push(total);
    total += size;
  }
  return starts;
}

function classOf(i: number, starts: number[]): number {
  let k = starts.length - 1;
  while (starts[k]! > i) k--;
  return k;
}
