// From a validated training config to the data a run uses: load the source, split it (seeded),
// fit the standardizer on the training split only and apply it to every split, then encode the
// labels the way the model's target reads them. Problems in the data itself throw DataError.

import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Dataset } from "../data/dataset.ts";
import { encodeTargets } from "../data/encode.ts";
import { type LabelKind, loadData } from "../data/index.ts";
import { makeSplits } from "../data/split.ts";
import { applyStandardizer, fitStandardizer, type Standardizer } from "../data/standardize.ts";

export interface PreparedData {
  train: Dataset;
  validation: Dataset | null;
  test: Dataset | null;
  standardizer: Standardizer | null;
}

// What the model's target says about its labels: K classes, or real values.
export interface TargetInfo {
  kind: "class" | "real";
  classes: number | null;
  width: number; // the target's size per example (1 for class labels)
}

export function csvLabelKind(config: TrainConfig, target: TargetInfo): LabelKind {
  switch (config.target_encoding) {
    case "class":
      return { kind: "class", classes: target.classes ?? 2 };
    case "one_hot":
      return { kind: "class", classes: target.width };
    case "signed":
      return { kind: "signed" };
    case "real":
      return { kind: "real" };
  }
}

// `saved` is the standardizer that travelled with a trained model (eval and predict use it instead
// of fitting a new one, so they see the inputs exactly as training did).
export function prepareData(config: TrainConfig, target: TargetInfo, baseDir: string, saved: Standardizer | null = null): PreparedData {
  const loaded = loadData(config.data, { baseDir, csvLabels: csvLabelKind(config, target) });
  const splits = makeSplits(loaded, config.split, config.seed, config.shuffle);
  const standardizer = saved ?? (config.standardize ? fitStandardizer(splits.train) : null);
  const finish = (dataset: Dataset | null): Dataset | null => {
    if (!dataset) return null;
    const scaled = standardizer ? applyStandardizer(standardizer, dataset) : dataset;
    return encodeTargets(scaled, config.target_encoding);
  };
  return {
    train: finish(splits.train)!,
    validation: finish(splits.validation),
    test: finish(splits.test),
    standardizer,
  };
}
