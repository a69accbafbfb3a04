// Mini-batches: every row once per epoch, a fresh seeded order each epoch, the last partial batch
// kept, and the same buffers reused for every batch.

import { describe, expect, it } from "vitest";
import { Batches } from "../../runtime/data/batches.ts";
import { targetFeed, type Dataset, type TargetArray } from "../../runtime/data/dataset.ts";
import { Rng } from "../../runtime/rng.ts";

// Row i has features (i, −i) and target 10·i, so a batch row tells which data row it came from.
function numbered(n: number): Dataset {
  return {
    n,
    features: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : -(i - 1) / 2)),
    featureSize: 2,
    targets: Float32Array.from({ length: n }, (_, i) => 10 * i),
    targetSize: 1,
    targetKind: "real",
    classes: null,
    featureNames: null,
    classNames: null,
    source: "numbered",
  };
}

// The data rows of one epoch, in batch order, checking each batch row is whole.
function epochRows(batches: Batches, epoch: number): { rows: number[]; sizes: number[] } {
  const rows: number[] = [];
  const sizes: number[] = [];
  for (const batch of batches.epoch(epoch)) {
    sizes.push(batch.size);
    expect(batch.features.length).toBe(batch.size * 2);
    expect(batch.targets.length).toBe(batch.size);
    for (let i = 0; i < batch.size; i++) {
      const row = batch.features[2 * i]!;
      expect(batch.features[2 * i + 1]).toBe(-row);
      expect(batch.targets[i]).toBe(10 * row);
      rows.push(row);
    }
  }
  return { rows, sizes };
}

describe("Batches", () => {
  it("covers every row exactly once per epoch and keeps the last partial batch", () => {
    const batches = new Batches(numbered(10), { batchSize: 4, shuffle: true, seed: 1 });
    expect(batches.batchesPerEpoch).toBe(3);
    const { rows, sizes } = epochRows(batches, 0);
    expect(sizes).toEqual([4, 4, 2]);
    expect([...rows].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
  });

  it("draws a new order each epoch from Rng.derive(seed, 'shuffle:' + epoch), the same for a seed", () => {
    const a = new Batches(numbered(50), { batchSize: 8, shuffle: true, seed: 3 });
    const b = new Batches(numbered(50), { batchSize: 8, shuffle: true, seed: 3 });
    const c = new Batches(numbered(50), { batchSize: 8, shuffle: true, seed: 4 });
    expect(epochRows(a, 0).rows).not.toEqual(epochRows(a, 1).rows);
    expect(epochRows(a, 1).rows).toEqual(epochRows(b, 1).rows);
    expect(epochRows(a, 1).rows).not.toEqual(epochRows(c, 1).rows);
    // An epoch's order does not depend on the epochs before it (resumed runs see the same batches).
    expect(epochRows(b, 7).rows).toEqual([...Rng.derive(3, "shuffle:7").permutation(50)]);
    expect([...a.epochOrder(7)]).toEqual(epochRows(b, 7).rows);
  });

  it("keeps the data set's order without shuffling", () => {
    const batches = new Batches(numbered(7), { batchSize: 3, shuffle: false, seed: 1 });
    expect(epochRows(batches, 0).rows).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(epochRows(batches, 5).rows).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("full batch is one batch of every row; batch size 1 is one row at a time", () => {
    const full = new Batches(numbered(9), { batchSize: "full", shuffle: true, seed: 1 });
    expect(epochRows(full, 0).sizes).toEqual([9]);
    const single = new Batches(numbered(3), { batchSize: 1, shuffle: true, seed: 1 });
    expect(epochRows(single, 0).sizes).toEqual([1, 1, 1]);
    const large = new Batches(numbered(3), { batchSize: 128, shuffle: true, seed: 1 });
    expect(epochRows(large, 0).sizes).toEqual([3]);
  });

  it("reuses the same batch object and buffers for every batch of every epoch", () => {
    const batches = new Batches(numbered(10), { batchSize: 4, shuffle: true, seed: 1 });
    const seen = { batch: new Set<object>(), features: new Set<Float32Array>(), targets: new Set<TargetArray>() };
    for (let epoch = 0; epoch < 20; epoch++) {
      for (const batch of batches.epoch(epoch)) {
        seen.batch.add(batch);
        seen.features.add(batch.features);
        seen.targets.add(batch.targets);
      }
    }
    // One batch object; one full-size and one partial view of each buffer, sharing memory.
    expect(seen.batch.size).toBe(1);
    expect(seen.features.size).toBe(2);
    expect(seen.targets.size).toBe(2);
    const [full, partial] = [...seen.features];
    expect(partial!.buffer).toBe(full!.buffer);
  });

  it("hands out class labels as an Int32Array (the model's i32 target) and real targets as a Float32Array", () => {
    const classes: Dataset = { ...numbered(7), targets: Float32Array.from({ length: 7 }, (_, i) => i % 3), targetKind: "class", classes: 3 };
    const seen: number[] = [];
    for (const batch of new Batches(classes, { batchSize: 3, shuffle: true, seed: 2 }).epoch(0)) {
      expect(batch.targets).toBeInstanceOf(Int32Array);
      for (let i = 0; i < batch.size; i++) expect(batch.targets[i]).toBe(batch.features[2 * i]! % 3);
      seen.push(...batch.targets);
    }
    expect(seen.sort()).toEqual([0, 0, 0, 1, 1, 2, 2]);
    for (const batch of new Batches(numbered(5), { batchSize: 2, shuffle: false, seed: 2 }).epoch(0)) expect(batch.targets).toBeInstanceOf(Float32Array);
  });

  it("targetFeed gives a whole data set's class labels as an Int32Array and real targets as they are", () => {
    const real = numbered(4);
    expect(targetFeed(real)).toBe(real.targets);
    const labels = targetFeed({ ...real, targets: Float32Array.of(2, 0, 1, 2), targetKind: "class", classes: 3 });
    expect(labels).toBeInstanceOf(Int32Array);
    expect([...labels]).toEqual([2, 0, 1, 2]);
  });
});
