// Ensembles: several trained copies of one model (members) whose predictions are combined, by
// the mean of their probabilities (or outputs) or by a majority vote of their classes. What a
// member's prediction (the loss's first argument) means depends on the loss, as in
// runtime/train/metrics.ts:
//   cross_entropy    logits of K classes; the mean is taken of the softmax probabilities
//   bce_with_logits  one logit; the mean is taken of the sigmoid probability of class 1
//   hinge/perceptron one score whose sign is the class (−1/+1); the mean is taken of the scores
//   mse              real values; the mean is taken of the values (a vote has no meaning)
// A vote counts each member's class; a tie goes to the tied class the mean prefers.
//
// The metrics are computed here, on the host, for the members and the ensemble alike: `loss` is
// the mean over the examples of the model's loss (without regularization: an ensemble has no one
// set of weights to penalize) of the combined probabilities or outputs, `accuracy` counts the
// combined classes, `mse` compares the combined values. A vote has no probabilities, so no loss.
// Log-probabilities are averaged through log-sum-exp, so a member that is sure and wrong gives a
// large finite loss rather than an infinite one.

import type { Dataset } from "./data/dataset.ts";
import { argmax, type LossKind } from "./train/metrics.ts";

export type Combine = "mean" | "vote";

export interface PredictionMetrics {
  loss: number | null; // null for a vote
  accuracy: number | null; // null for regression
  mse: number | null; // null for classification
  n: number;
}

export interface Combined {
  // Per example and output: the mean probability (cross_entropy: one per class; bce_with_logits:
  // of class 1), the mean score (hinge, perceptron) or the mean value (mse).
  mean: Float64Array;
  width: number;
  // The combined class of each example (0..K−1; for hinge and perceptron 0 is −1 and 1 is +1), or
  // null for regression.
  classes: Int32Array | null;
  // With a vote: how many members chose the combined class.
  votes: Int32Array | null;
  // Per example and output, log of the mean probability (cross_entropy, bce_with_logits: class 1
  // and, in `logOther`, class 0), for the loss.
  logMean: Float64Array | null;
  logOther: Float64Array | null;
}

export function isClassifier(loss: LossKind): boolean {
  return loss !== "mse";
}

// `predictions`: one array per member, n rows of `width` values each.
export function combinePredictions(loss: LossKind, predictions: readonly Float32Array[], n: number, mode: Combine): Combined {
  if (predictions.length === 0) throw new Error("internal error: an ensemble needs members");
  if (mode === "vote" && !isClassifier(loss)) throw new Error("internal error: a vote needs a classifier");
  const width = predictions[0]!.length / Math.max(n, 1);
  const members = predictions.length;
  const size = n * width;
  const mean = new Float64Array(size);
  let logMean: Float64Array | null = null;
  let logOther: Float64Array | null = null;
  if (loss === "cross_entropy") {
    // log p̄ = logsumexp over members of log softmax − log M.
    const logs = predictions.map((p) => logSoftmaxRows(p, n, width));
    logMean = logMeanExp(logs, size);
    for (let i = 0; i < size; i++) mean[i] = Math.exp(logMean[i]!);
  } else if (loss === "bce_with_logits") {
    // log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z).
    logMean = logMeanExp(predictions.map((p) => Float64Array.from(p, (z) => -softplus(-z))), size);
    logOther = logMeanExp(predictions.map((p) => Float64Array.from(p, (z) => -softplus(z))), size);
    for (let i = 0; i < size; i++) mean[i] = Math.exp(logMean[i]!);
  } else {
    for (const p of predictions) for (let i = 0; i < size; i++) mean[i]! += p[i]! / members;
  }
  if (!isClassifier(loss)) return { mean, width, classes: null, votes: null, logMean, logOther };
  const meanClasses = classesOf(loss, mean, n, width, true);
  if (mode === "mean") return { mean, width, classes: meanClasses, votes: null, logMean, logOther };
  const memberClasses = predictions.map((p) => classesOf(loss, p, n, width, false));
  const { classes, votes } = vote(memberClasses, meanClasses, mean, loss, n, width);
  return { mean, width, classes, votes, logMean, logOther };
}

// Each example's class from one member's prediction (`probabilities` false) or from the combined
// mean (true: probabilities for the two losses that have them, so class 1 is p > 1/2).
export function classesOf(loss: LossKind, values: ArrayLike<number>, n: number, width: number, probabilities: boolean): Int32Array {
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (loss === "cross_entropy") classes[i] = argmax(values, i * width, width);
    else {
      const threshold = probabilities && loss === "bce_with_logits" ? 0.5 : 0;
      classes[i] = values[i * width]! > threshold ? 1 : 0;
    }
  }
  return classes;
}

// The class most members chose; among classes with as many votes, the one with the larger mean
// probability (or, for scores, the side the mean score is on).
function vote(memberClasses: Int32Array[], meanClasses: Int32Array, mean: Float64Array, loss: LossKind, n: number, width: number) {
  const classes = new Int32Array(n);
  const votes = new Int32Array(n);
  const count = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    count.clear();
    for (const member of memberClasses) count.set(member[i]!, (count.get(member[i]!) ?? 0) + 1);
    const most = Math.max(...count.values());
    const tied = [...count.entries()].filter(([, c]) => c === most).map(([k]) => k);
    let chosen = tied[0]!;
    if (tied.length > 1) {
      if (loss === "cross_entropy") chosen = tied.reduce((best, k) => (mean[i * width + k]! > mean[i * width + best]! ? k : best));
      else chosen = meanClasses[i]!;
    }
    classes[i] = chosen;
    votes[i] = most;
  }
  return { classes, votes };
}

// The fraction of examples on which the members' classes are not all the same (0 for regression).
export function disagreement(loss: LossKind, predictions: readonly Float32Array[], n: number): number {
  if (!isClassifier(loss) || predictions.length < 2 || n === 0) return 0;
  const width = predictions[0]!.length / n;
  const classes = predictions.map((p) => classesOf(loss, p, n, width, false));
  let differ = 0;
  for (let i = 0; i < n; i++) if (classes.some((c) => c[i] !== classes[0]![i])) differ++;
  return differ / n;
}

// The metrics of a combined prediction against the data set's (encoded) targets. `withLoss`: false
// for a vote.
export function combinedMetrics(loss: LossKind, combined: Combined, dataset: Dataset, withLoss: boolean): PredictionMetrics {
  const { n, targets, targetSize } = dataset;
  const { width, mean } = combined;
  let lossSum = 0;
  let correct = 0;
  let squared = 0;
  for (let i = 0; i < n; i++) {
    if (loss === "cross_entropy") {
      // Labels, or one-hot (or soft) rows.
      const label = targetSize === 1 ? targets[i]! : argmax(targets, i * targetSize, targetSize);
      if (combined.classes![i] === label) correct++;
      if (targetSize === 1) lossSum -= combined.logMean![i * width + label]!;
      else for (let k = 0; k < width; k++) lossSum -= targets[i * targetSize + k]! * combined.logMean![i * width + k]!;
      continue;
    }
    if (loss === "mse") {
      for (let k = 0; k < width; k++) {
        const d = mean[i * width + k]! - targets[i * targetSize + k]!;
        squared += d * d;
      }
      continue;
    }
    // One probability or score per example (a [B] or [B, 1] target), as runtime/train/metrics.ts.
    const target = targets[i * targetSize]!;
    const positive = loss === "bce_with_logits" ? target > 0.5 : target > 0;
    if ((combined.classes![i] === 1) === positive) correct++;
    if (loss === "bce_with_logits") lossSum -= target * combined.logMean![i * width]! + (1 - target) * combined.logOther![i * width]!;
    else {
      const margin = target * mean[i * width]!;
      lossSum += loss === "hinge" ? Math.max(0, 1 - margin) : Math.max(0, -margin);
    }
  }
  const count = Math.max(n, 1);
  if (loss === "mse") {
    const mse = squared / Math.max(n * width, 1);
    return { loss: withLoss ? mse : null, accuracy: null, mse, n };
  }
  return { loss: withLoss ? lossSum / count : null, accuracy: correct / count, mse: null, n };
}

// The metrics of one member's prediction, the same way as the ensemble's.
export function predictionMetrics(loss: LossKind, prediction: Float32Array, dataset: Dataset): PredictionMetrics {
  return combinedMetrics(loss, combinePredictions(loss, [prediction], dataset.n, "mean"), dataset, true);
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function logSoftmaxRows(values: Float32Array, n: number, width: number): Float64Array {
  const out = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    let max = -Infinity;
    for (let k = 0; k < width; k++) max = Math.max(max, values[row + k]!);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += Math.exp(values[row + k]! - max);
    const logSum = max + Math.log(sum);
    for (let k = 0; k < width; k++) out[row + k] = values[row + k]! - logSum;
  }
  return out;
}

// Elementwise log(mean over arrays of exp(a)), without overflow or underflow.
function logMeanExp(arrays: readonly Float64Array[], size: number): Float64Array {
  const out = new Float64Array(size);
  const logCount = Math.log(arrays.length);
  for (let i = 0; i < size; i++) {
    let max = -Infinity;
    for (const a of arrays) max = Math.max(max, a[i]!);
    if (max === -Infinity) {
      out[i] = -Infinity;
      continue;
    }
    let sum = 0;
    for (const a of arrays) sum += Math.exp(a[i]! - max);
    out[i] = max + Math.log(sum) - logCount;
  }
  return out;
}
