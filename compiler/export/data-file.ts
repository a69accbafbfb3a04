// The data an exported script trains on, written next to it as one safetensors file: the train,
// validation and test splits exactly as nnc makes them (the same seeded split), before
// standardization (the script fits the standardizer on its training split, as nnc does), with the
// targets encoded as the model's target reads them (class indices, 0/1, −1/+1 or one-hot rows).
// Features take the model input's shape ([n, 1, 28, 28] for an image input).

import type { CheckedModel } from "../analyze/model-types.ts";
import type { TrainConfig } from "../ir/config.ts";
import type { Tensor } from "../../runtime/train/safetensors.ts";
import { prepareData, type TargetInfo } from "../../runtime/train/prepare.ts";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { ExportError } from "./errors.ts";

export function exportedData(model: CheckedModel, config: TrainConfig, baseDir: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const target = model.targets[0];
  if (!target) throw new ExportError(`the model \`${model.name}\` has no target, so it cannot be trained`, model.span);
  const width = target.shape.length > 1 ? Number(target.shape[target.shape.length - 1]) : 1;
  const info: TargetInfo = { kind: target.kind, classes: target.classes, width: Number.isFinite(width) ? width : 1 };
  const data = prepareData({ ...config, standardize: false }, info, baseDir);
  const inputShape = model.inputs[0]!.shape.slice(1).map((d) => {
    if (typeof d !== "number") throw new ExportError(`the input \`${model.inputs[0]!.name}\` has the symbolic size \`${d}\` after the batch`, model.inputs[0]!.span);
    return d;
  });
  const tensors: Record<string, Tensor> = {};
  const add = (name: string, dataset: Dataset | null) => {
    if (!dataset) return;
    tensors[`${name}.features`] = { shape: [dataset.n, ...inputShape], data: dataset.features };
    tensors[`${name}.targets`] = { shape: target.kind === "class" ? [dataset.n] : [dataset.n, dataset.targetSize], data: dataset.targets };
  };
  add("train", data.train);
  add("validation", data.validation);
  add("test", data.test);
  return { tensors, metadata: { model: model.name, source: JSON.stringify(config.data), split: JSON.stringify(config.split), seed: String(config.seed) } };
}
