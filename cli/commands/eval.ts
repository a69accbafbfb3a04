// `nnc eval FILE --checkpoint C`: evaluates trained weights on a split of the file's data, with the
// standardization saved in the checkpoint, in evaluation mode (dropout off, batch norm on its
// running statistics). With several checkpoints of the model, it evaluates them as an ensemble
// (cli/ensemble-eval.ts): each member, the combination, and how often the members disagree.

import type { Dataset } from "../../runtime/data/dataset.ts";
import type { Standardizer } from "../../runtime/data/standardize.ts";
import { COMBINE_HELP, combineOption, ensembleJson, ensembleLines, loadMember, measureEnsemble, memberStart, predictRows, readMembers } from "../ensemble-eval.ts";
import { loadModel, type LoadedModel } from "../load.ts";
import { oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION } from "../overrides.ts";
import { describePass, passJson } from "../report.ts";
import { BACKEND_HELP, backendLine, backendRequest, openSession, readCheckpoint, startingPoint } from "../session.ts";
import { UserError } from "../user-error.ts";
import { prepare } from "./run.ts";
import type { BackendRequest } from "../../runtime/session.ts";

export const summary = "evaluate a checkpoint (or an ensemble of several) on the test split";

export const help = `Usage: nnc eval FILE --checkpoint PATH [--checkpoint PATH ...] [options]

Evaluates the weights in PATH (a safetensors checkpoint written by \`nnc run --save\`, or weights
with the model's parameter names) on the data of FILE's train block. With several --checkpoint
options (for example the members \`nnc ensemble\` wrote), evaluates them as an ensemble: each
member's metrics, the ensemble's, and how often the members disagree. The train block's data,
split, normalize and seed decide what is evaluated; give the --set options a run was trained with
to evaluate it on the same split.

Options:
  --checkpoint PATH    the weights to evaluate (required); repeat it for an ensemble
${COMBINE_HELP}
  --split NAME         test (default), validation or train
  --train MODEL|N      which train block's data, when FILE has several
${SET_HELP}
${BACKEND_HELP}
  --json               print the metrics as one JSON object
${BUDGET_HELP}
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("eval", help, argv, {
    ...BUDGET_OPTIONS,
    checkpoint: { type: "string", multiple: true },
    combine: { type: "string" },
    split: { type: "string" },
    train: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
    ...SET_OPTION,
  });
  const file = oneFile("eval", help, positionals);
  const checkpoints = values.checkpoint ?? [];
  if (checkpoints.length === 0) throw new UserError(`nnc eval: --checkpoint PATH is required\n\n${help}`);
  const split = values.split ?? "test";
  if (split !== "test" && split !== "validation" && split !== "train") {
    throw new UserError(`nnc eval: --split must be test, validation or train, not \`${split}\``);
  }
  const request = backendRequest("eval", values.backend);
  const loaded = loadModel("eval", file, values.train, budgetOption("eval", values), commandLineOverrides("eval", values.set));
  const combine = combineOption("eval", values.combine, checkpoints.length, loaded.model.loss!.kind);
  if (combine) return evaluateEnsemble({ file, loaded, checkpoints, split, combine, request, json: Boolean(values.json) });

  const checkpoint = readCheckpoint("eval", checkpoints[0]!, loaded.trainGraph);
  const dataset = splitOf(file, loaded, split, checkpoint.standardizer ?? null);
  const start = startingPoint("eval", loaded.trainGraph, loaded.config, { resume: null, init: checkpoints[0]! });
  const session = await openSession("eval", loaded, loaded.config, start, request);
  try {
    const metrics = await session.backend.evaluate(dataset, 1024);
    if (values.json) console.log(JSON.stringify({ backend: session.backend.kind, model: loaded.model.name, split, [split]: passJson(metrics) }));
    else console.log(`${backendLine(session)}\n${describePass(split, metrics)}`);
  } finally {
    session.dispose();
  }
  return 0;
}

// The split, prepared with a checkpoint's standardization.
function splitOf(file: string, loaded: LoadedModel, split: "test" | "validation" | "train", standardizer: Standardizer | null): Dataset {
  const dataset = prepare(loaded.config, loaded, file, standardizer)[split];
  if (!dataset) {
    throw new UserError(`nnc eval: ${file} has no ${split} split; add \`split ${split}: 0.2\` to its train block or choose another --split`);
  }
  return dataset;
}

async function evaluateEnsemble(options: {
  file: string;
  loaded: LoadedModel;
  checkpoints: string[];
  split: "test" | "validation" | "train";
  combine: "mean" | "vote";
  request: BackendRequest;
  json: boolean;
}): Promise<number> {
  const { file, loaded, split } = options;
  const graph = loaded.trainGraph;
  const members = readMembers("eval", options.checkpoints, graph);
  // Each member sees the inputs standardized as in its training; members trained on one split
  // share one standardization, so the data is usually prepared once.
  const prepared = new Map<string, Dataset>();
  const datasetFor = (standardizer: Standardizer | null) => {
    const key = standardizer ? JSON.stringify([Array.from(standardizer.mean), Array.from(standardizer.std)]) : "";
    let dataset = prepared.get(key);
    if (!dataset) prepared.set(key, (dataset = splitOf(file, loaded, split, standardizer)));
    return dataset;
  };
  const session = await openSession("eval", loaded, loaded.config, memberStart(graph, members[0]!.content), options.request);
  try {
    const predictions = [];
    for (const [i, member] of members.entries()) {
      const dataset = datasetFor(member.content.standardizer ?? null);
      await loadMember(session, graph, member.content);
      predictions.push({ label: `member ${i + 1}`, checkpoint: member.path, prediction: await predictRows(session, dataset.features, dataset.n) });
    }
    const report = measureEnsemble(loaded.model.loss!.kind, split, options.combine, predictions, datasetFor(members[0]!.content.standardizer ?? null));
    if (options.json) console.log(JSON.stringify({ backend: session.backend.kind, model: loaded.model.name, ...ensembleJson(report) }));
    else console.log([backendLine(session), ...ensembleLines(report)].join("\n"));
  } finally {
    session.dispose();
  }
  return 0;
}
