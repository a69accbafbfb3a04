// The data an exported script trains on. A built-in or synthetic set is written next to the script
// as one safetensors file: the train, validation and test splits exactly as nnc makes them (the
// same seeded split), before standardization (the script fits the standardizer on its training
// split, as nnc does), with the targets encoded as the model's target reads them (class indices,
// 0/1, −1/+1 or one-hot rows) and the features in the model input's shape ([n, 1, 28, 28] for an
// image input). A CSV file is not copied: the script reads it where it is (python-csv.ts) and
// splits it as nnc does.
//
// Where the script looks for the CSV file: the .nn file names it relative to the .nn file's folder
// (or absolutely); the script keeps an absolute path as it is, and turns a relative one into a
// path relative to the script's own folder, computed from where the .nn file is and where the
// script is written. So the script finds the file from any working directory, and a project folder
// that holds both can be moved or copied to another machine as a whole.

import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { CheckedModel } from "../analyze/model-types.ts";
import type { TrainConfig } from "../ir/config.ts";
import type { Tensor } from "../../runtime/train/safetensors.ts";
import { csvLabelKind, prepareData, type TargetInfo } from "../../runtime/train/prepare.ts";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { ExportError } from "./errors.ts";
import { pyBool, pyFloat, pyString } from "./python-names.ts";

// Where an exported script reads its data from.
export type ScriptData =
  | { kind: "file"; name: string } // a safetensors file of the splits, next to the script
  | { kind: "csv"; path: string }; // the CSV file: relative to the script's folder, or absolute

// `source` is the .nn file and `script` the script's path, both as the user named them.
export function scriptData(config: TrainConfig, source: string, script: string): ScriptData {
  if (config.data.kind !== "csv") return { kind: "file", name: `${basename(script).replace(/\.py$/, "")}.data.safetensors` };
  if (isAbsolute(config.data.path)) return { kind: "csv", path: config.data.path };
  const csv = resolve(dirname(source), config.data.path);
  return { kind: "csv", path: relative(dirname(resolve(script)), csv).split(sep).join("/") };
}

// The script's settings for its data: DATA_FILE, and for a CSV file how to read it (CSV) and the
// model input's shape after the batch (INPUT_SHAPE).
export function dataSettings(model: CheckedModel, config: TrainConfig, data: ScriptData): string[] {
  if (data.kind === "file") return [`DATA_FILE = os.path.join(HERE, ${pyString(data.name)})`, "CSV = None  # the data file holds the splits nnc made"];
  const csv = config.data;
  if (csv.kind !== "csv") throw new Error("internal error: CSV settings for a data set that is not a CSV file");
  const path = isAbsolute(data.path)
    ? `# The CSV file the .nn file names.\nDATA_FILE = ${pyString(data.path)}`
    : `# The CSV file the .nn file names, from this script's folder.\nDATA_FILE = os.path.normpath(os.path.join(HERE, ${pyString(data.path)}))`;
  const labels = csvLabelKind(config, targetOf(model));
  const column = (c: string | number) => (typeof c === "number" ? String(c) : pyString(c));
  const label = Array.isArray(csv.label) ? `[${csv.label.map(column).join(", ")}]` : column(csv.label);
  const features = csv.features === null ? "None" : `[${csv.features.map(column).join(", ")}]`;
  const settings = [
    `label=${label}`,
    `features=${features}`,
    `header=${pyBool(csv.header)}`,
    `delimiter=${pyString(csv.delimiter)}`,
    `labels=${pyString(labels.kind)}`,
    `classes=${labels.kind === "class" ? labels.classes : labels.kind === "signed" ? 2 : "None"}`,
    `encoding=${pyString(config.target_encoding)}`,
    `split_test=${pyFloat(config.split.test)}`,
    `split_validation=${pyFloat(config.split.validation)}`,
  ];
  const shape = inputShape(model);
  return [path, `CSV = dict(${settings.join(", ")})`, `INPUT_SHAPE = (${shape.join(", ")}${shape.length === 1 ? "," : ""})`];
}

// The splits of a built-in or synthetic set, as the data file holds them. For a CSV file `nnc
// export` calls it too, only to report a problem in the file now rather than when the script runs.
export function exportedData(model: CheckedModel, config: TrainConfig, baseDir: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const info = targetOf(model);
  const target = model.targets[0]!;
  const data = prepareData({ ...config, standardize: false }, info, baseDir);
  const shape = inputShape(model);
  const tensors: Record<string, Tensor> = {};
  const add = (name: string, dataset: Dataset | null) => {
    if (!dataset) return;
    tensors[`${name}.features`] = { shape: [dataset.n, ...shape], data: dataset.features };
    tensors[`${name}.targets`] = { shape: target.kind === "class" ? [dataset.n] : [dataset.n, dataset.targetSize], data: dataset.targets };
  };
  add("train", data.train);
  add("validation", data.validation);
  add("test", data.test);
  return { tensors, metadata: { model: model.name, source: JSON.stringify(config.data), split: JSON.stringify(config.split), seed: String(config.seed) } };
}

function targetOf(model: CheckedModel): TargetInfo {
  const target = model.targets[0];
  if (!target) throw new ExportError(`the model \`${model.name}\` has no target, so it cannot be trained`, model.span);
  const width = target.shape.length > 1 ? Number(target.shape[target.shape.length - 1]) : 1;
  return { kind: target.kind, classes: target.classes, width: Number.isFinite(width) ? width : 1 };
}

function inputShape(model: CheckedModel): number[] {
  return model.inputs[0]!.shape.slice(1).map((d) => {
    if (typeof d !== "number") throw new ExportError(`the input \`${model.inputs[0]!.name}\` has the symbolic size \`${d}\` after the batch`, model.inputs[0]!.span);
    return d;
  });
}
