// Metrics over a pass through a data set, accumulated batch by batch from the model's prediction
// (the loss's first argument: logits or scores) and the encoded targets. Accuracy is decided by the
// loss the model trains with, because that says what the prediction means:
//   cross_entropy    the class with the largest logit (targets: labels, or one-hot rows)
//   bce_with_logits  class 1 when the logit is > 0 (targets 0/1)
//   hinge/perceptron class +1 when the score is > 0 (targets −1/+1)
// MSE is the mean over all target elements of (prediction − target)². Training and evaluation
// accumulate these in the graph (compiler/step/metrics.ts); this class is the oracle they are
// tested against.

export type LossKind = "mse" | "bce_with_logits" | "cross_entropy" | "hinge" | "perceptron";

export interface PassMetrics {
  loss: number;
  data_loss: number;
  reg_loss: number;
  accuracy: number | null; // null for regression
  mse: number | null; // null for classification
  n: number;
}

export class MetricAccumulator {
  private n = 0;
  private lossSum = 0;
  private dataLossSum = 0;
  private regLossSum = 0;
  private correct = 0;
  private squaredError = 0;
  private targetElements = 0;

  constructor(
    private readonly loss: LossKind,
    private readonly reduction: "mean" | "sum",
  ) {}

  // `losses` are the batch's loss values as the graph computed them (mean or sum over the batch).
  add(batchSize: number, losses: { loss: number; data_loss: number; reg_loss: number }, prediction: ArrayLike<number>, targets: ArrayLike<number>, targetSize: number): void {
    // A mean-reduced loss is weighted by the batch size so the pass's loss is the mean over all
    // examples; a sum-reduced loss adds up. The regularization term does not depend on the batch,
    // so it is averaged over batches.
    const weight = this.reduction === "mean" ? batchSize : 1;
    this.dataLossSum += losses.data_loss * weight;
    this.regLossSum += losses.reg_loss * batchSize;
    this.lossSum += losses.data_loss * weight + losses.reg_loss * batchSize;
    this.n += batchSize;
    if (this.loss === "mse") {
      const count = batchSize * targetSize;
      for (let i = 0; i < count; i++) {
        const d = prediction[i]! - targets[i]!;
        this.squaredError += d * d;
      }
      this.targetElements += count;
    } else {
      this.correct += countCorrect(this.loss, batchSize, prediction, targets, targetSize);
    }
  }

  // The accuracy so far, for the progress bar (null for regression).
  get accuracy(): number | null {
    return this.loss === "mse" ? null : this.correct / Math.max(this.n, 1);
  }

  result(): PassMetrics {
    const n = Math.max(this.n, 1);
    const dataLoss = this.reduction === "mean" ? this.dataLossSum / n : this.dataLossSum;
    const regLoss = this.regLossSum / n;
    return {
      loss: dataLoss + regLoss,
      data_loss: dataLoss,
      reg_loss: regLoss,
      accuracy: this.loss === "mse" ? null : this.correct / n,
      mse: this.loss === "mse" ? this.squaredError / Math.max(this.targetElements, 1) : null,
      n: this.n,
    };
  }
}

function countCorrect(loss: LossKind, batchSize: number, prediction: ArrayLike<number>, targets: ArrayLike<number>, targetSize: number): number {
  let correct = 0;
  if (loss === "cross_entropy") {
    const classes = prediction.length / batchSize;
    for (let i = 0; i < batchSize; i++) {
      const predicted = argmax(prediction, i * classes, classes);
      const label = targetSize === 1 ? targets[i]! : argmax(targets, i * targetSize, targetSize);
      if (predicted === label) correct++;
    }
    return correct;
  }
  // One score per example (prediction [B] or [B, 1]).
  for (let i = 0; i < batchSize; i++) {
    const score = prediction[i]!;
    const target = targets[i * targetSize]!;
    const positive = loss === "bce_with_logits" ? target > 0.5 : target > 0;
    if (score > 0 === positive) correct++;
  }
  return correct;
}

export function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let j = 1; j < length; j++) {
    const v = values[offset + j]!;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}
