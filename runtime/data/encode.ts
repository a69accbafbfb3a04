// How a data set's labels reach the model's target, as the analyzer decided (TargetEncoding in
// compiler/ir/config.ts): class indices as they are, as real numbers (0/1 for bce_with_logits), as
// one-hot rows of a [B, K] target, or as −1/+1 for hinge and perceptron. Applied once after
// loading, so batches copy rows without converting them.

import type { TargetEncoding } from "../../compiler/ir/config.ts";
import type { Dataset } from "./dataset.ts";

export function encodeTargets(dataset: Dataset, encoding: TargetEncoding): Dataset {
  switch (encoding) {
    case "class":
    case "real":
      // The values are already right; only the kind changes (a two-class set fed to a [B, 1] target).
      return encoding === "real" ? { ...dataset, targetKind: "real" } : dataset;
    case "one_hot": {
      const k = classCount(dataset, encoding);
      const targets = new Float32Array(dataset.n * k);
      for (let i = 0; i < dataset.n; i++) targets[i * k + dataset.targets[i]!] = 1;
      return { ...dataset, targets, targetSize: k, targetKind: "real" };
    }
    case "signed": {
      if (classCount(dataset, encoding) !== 2) {
        throw new Error(`internal error: signed targets need 2 classes, ${dataset.source} has ${dataset.classes}`);
      }
      return { ...dataset, targets: dataset.targets.map((y) => 2 * y - 1), targetKind: "real" };
    }
  }
}

function classCount(dataset: Dataset, encoding: TargetEncoding): number {
  if (dataset.targetKind !== "class" || dataset.classes === null) {
    throw new Error(`internal error: ${encoding} targets need class labels, but ${dataset.source} has real values`);
  }
  return dataset.classes;
}
