// runtime/ensemble.ts: combining members' predictions by the mean and by a vote, the metrics of a
// combination, and how often members disagree, against numbers worked out by hand and against the
// metrics the training runtime computes for one model.

import { describe, expect, it } from "vitest";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { classesOf, combinedMetrics, combinePredictions, disagreement, predictionMetrics } from "../../runtime/ensemble.ts";
import { MetricAccumulator } from "../../runtime/train/metrics.ts";

function dataset(targets: number[], targetSize = 1, targetKind: "class" | "real" = "class"): Dataset {
  const n = targets.length / targetSize;
  return { n, features: new Float32Array(n), featureSize: 1, targets: Float32Array.from(targets), targetSize, targetKind, classes: null, featureNames: null, classNames: null, source: "test" };
}

const softmax = (row: number[]) => {
  const e = row.map((z) => Math.exp(z));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe("combining by the mean", () => {
  it("averages the members' softmax probabilities and takes the loss of the average", () => {
    const a = Float32Array.of(2, 0, 0, /* */ 0, 1, 0);
    const b = Float32Array.of(0, 0, 2, /* */ 0, 3, 0);
    const combined = combinePredictions("cross_entropy", [a, b], 2, "mean");
    const p0 = softmax([2, 0, 0]).map((p, k) => (p + softmax([0, 0, 2])[k]!) / 2);
    expect(Array.from(combined.mean.subarray(0, 3))).toEqual(p0.map((p) => expect.closeTo(p, 6)));
    // Example 0: classes 0 and 2 tie in the mean (symmetric), argmax takes the first.
    expect(Array.from(combined.classes!)).toEqual([0, 1]);
    const metrics = combinedMetrics("cross_entropy", combined, dataset([2, 1]), true);
    const p1 = (softmax([0, 1, 0])[1]! + softmax([0, 3, 0])[1]!) / 2;
    expect(metrics.loss).toBeCloseTo(-(Math.log(p0[2]!) + Math.log(p1)) / 2, 6);
    expect(metrics.accuracy).toBe(0.5);
  });

  it("stays finite when every member is sure and wrong", () => {
    const sure = Float32Array.of(0, 1000);
    const metrics = combinedMetrics("cross_entropy", combinePredictions("cross_entropy", [sure, sure], 1, "mean"), dataset([0]), true);
    expect(metrics.loss).toBeCloseTo(1000, 3);
  });

  it("averages sigmoid probabilities for bce_with_logits, scores for hinge, values for mse", () => {
    const bce = combinePredictions("bce_with_logits", [Float32Array.of(3, -1), Float32Array.of(-2, -3)], 2, "mean");
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    expect(bce.mean[0]).toBeCloseTo((sigmoid(3) + sigmoid(-2)) / 2, 6);
    expect(Array.from(bce.classes!)).toEqual([1, 0]);
    const bceMetrics = combinedMetrics("bce_with_logits", bce, dataset([1, 1], 1, "real"), true);
    expect(bceMetrics.loss).toBeCloseTo(-(Math.log(bce.mean[0]!) + Math.log(bce.mean[1]!)) / 2, 6);
    expect(bceMetrics.accuracy).toBe(0.5);

    const hinge = combinePredictions("hinge", [Float32Array.of(0.5, -2), Float32Array.of(1.5, 1)], 2, "mean");
    expect(Array.from(hinge.mean)).toEqual([1, -0.5]);
    const hingeMetrics = combinedMetrics("hinge", hinge, dataset([1, 1], 1, "real"), true);
    expect(hingeMetrics.loss).toBeCloseTo((0 + 1.5) / 2, 6);
    expect(hingeMetrics.accuracy).toBe(0.5);

    const mse = combinePredictions("mse", [Float32Array.of(1, 2), Float32Array.of(3, 2)], 2, "mean");
    expect(mse.classes).toBeNull();
    expect(combinedMetrics("mse", mse, dataset([2, 0], 1, "real"), true)).toEqual({ loss: 2, accuracy: null, mse: 2, n: 2 });
  });

  it("gives one member the metrics the training runtime computes for it", () => {
    const logits = Float32Array.of(1, -2, 0.5, 0.3, 0.2, -1, -3, 4, 0);
    const labels = [0, 2, 1];
    const accumulator = new MetricAccumulator("cross_entropy", "mean");
    const losses = [0, 1, 2].map((i) => {
      const p = softmax(Array.from(logits.subarray(i * 3, i * 3 + 3)));
      return -Math.log(p[labels[i]!]!);
    });
    const mean = losses.reduce((a, b) => a + b, 0) / 3;
    accumulator.add(3, { loss: mean, data_loss: mean, reg_loss: 0 }, logits, labels, 1);
    const ours = predictionMetrics("cross_entropy", logits, dataset(labels));
    expect(ours.accuracy).toBe(accumulator.result().accuracy);
    expect(ours.loss).toBeCloseTo(accumulator.result().data_loss, 10);
  });

  it("reads one-hot targets", () => {
    const combined = combinePredictions("cross_entropy", [Float32Array.of(0, 2), Float32Array.of(0, 1)], 1, "mean");
    expect(combinedMetrics("cross_entropy", combined, dataset([0, 1], 2, "real"), true).accuracy).toBe(1);
  });
});

describe("combining by a vote", () => {
  it("takes the class most members chose, and counts the votes", () => {
    const members = [Float32Array.of(5, 0, 0), Float32Array.of(0, 0.2, 0), Float32Array.of(0, 0.3, 0)];
    const combined = combinePredictions("cross_entropy", members, 1, "vote");
    // The mean prefers class 0 (member 1 is very sure), the vote class 1.
    expect(Array.from(classesOf("cross_entropy", combined.mean, 1, 3, true))).toEqual([0]);
    expect(Array.from(combined.classes!)).toEqual([1]);
    expect(Array.from(combined.votes!)).toEqual([2]);
    expect(combinedMetrics("cross_entropy", combined, dataset([1]), false)).toEqual({ loss: null, accuracy: 1, mse: null, n: 1 });
  });

  it("breaks a tie by the mean probability of the tied classes", () => {
    // One vote each for classes 0 and 1; the mean prefers class 0, of which its member is sure.
    const combined = combinePredictions("cross_entropy", [Float32Array.of(3, 0, 0), Float32Array.of(0, 0.5, 0)], 1, "vote");
    expect(Array.from(combined.votes!)).toEqual([1]);
    expect(Array.from(combined.classes!)).toEqual([0]);
    const tied = combinePredictions("cross_entropy", [Float32Array.of(0.1, 0), Float32Array.of(0, 4)], 1, "vote");
    expect(Array.from(tied.votes!)).toEqual([1]);
    expect(Array.from(tied.classes!)).toEqual([1]);
    const scores = combinePredictions("hinge", [Float32Array.of(0.2), Float32Array.of(-3)], 1, "vote");
    expect(Array.from(scores.classes!)).toEqual([0]);
  });
});

describe("disagreement", () => {
  it("is the fraction of examples whose members' classes are not all the same", () => {
    const a = Float32Array.of(1, 0, /* */ 1, 0, /* */ 0, 1, /* */ 0, 1);
    const b = Float32Array.of(1, 0, /* */ 0, 1, /* */ 0, 1, /* */ 1, 0);
    expect(disagreement("cross_entropy", [a, b], 4)).toBe(0.5);
    expect(disagreement("cross_entropy", [a, a], 4)).toBe(0);
    expect(disagreement("mse", [a, b], 4)).toBe(0);
  });
});
