// `nnc eval FILE --checkpoint C`: evaluates trained weights on a split of the file's data, with the
// standardization saved in the checkpoint, in evaluation mode (dropout off, batch norm on its
// running statistics).

import { loadModel } from "../load.ts";
import { oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { describePass, passJson } from "../report.ts";
import { BACKEND_HELP, backendLine, backendRequest, openSession, readCheckpoint, startingPoint } from "../session.ts";
import { UserError } from "../user-error.ts";
import { prepare } from "./run.ts";

export const summary = "evaluate a checkpoint on the test split";

export const help = `Usage: nnc eval FILE --checkpoint PATH [options]

Evaluates the weights in PATH (a safetensors checkpoint written by \`nnc run --save\`, or weights
with the model's parameter names) on the data of FILE's train block.

Options:
  --checkpoint PATH    the weights to evaluate (required)
  --split NAME         test (default), validation or train
  --train MODEL        which model, when FILE has several
${BACKEND_HELP}
  --json               print the metrics as one JSON object
${BUDGET_HELP}
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("eval", help, argv, {
    ...BUDGET_OPTIONS,
    checkpoint: { type: "string" },
    split: { type: "string" },
    train: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
  });
  const file = oneFile("eval", help, positionals);
  if (!values.checkpoint) throw new UserError(`nnc eval: --checkpoint PATH is required\n\n${help}`);
  const split = values.split ?? "test";
  if (split !== "test" && split !== "validation" && split !== "train") {
    throw new UserError(`nnc eval: --split must be test, validation or train, not \`${split}\``);
  }
  const request = backendRequest("eval", values.backend);
  const loaded = loadModel("eval", file, values.train, budgetOption("eval", values));
  const checkpoint = readCheckpoint("eval", values.checkpoint, loaded.trainGraph);
  const data = prepare(loaded.config, loaded, file, checkpoint.standardizer ?? null);
  const dataset = data[split];
  if (!dataset) {
    throw new UserError(`nnc eval: ${file} has no ${split} split; add \`split ${split}: 0.2\` to its train block or choose another --split`);
  }
  const start = startingPoint("eval", loaded.trainGraph, loaded.config, { resume: null, init: values.checkpoint });
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
