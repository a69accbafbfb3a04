// `nnc export FILE --to pytorch -o train_model.py`: a PyTorch training script (with its data file
// next to it, or reading the CSV file where it is) that trains the model as `nnc run` does, on one
// process or under torchrun.
// `nnc export FILE --to onnx --checkpoint C -o model.onnx`: the trained inference graph as ONNX.
// A construct the target cannot express with the same meaning is an error naming it (exit 1).

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { exportedData, scriptData } from "../../compiler/export/data-file.ts";
import { ExportError } from "../../compiler/export/errors.ts";
import { exportOnnx, ONNX_OPSET } from "../../compiler/export/onnx.ts";
import { exportPytorch } from "../../compiler/export/pytorch.ts";
import { DataError } from "../../runtime/data/errors.ts";
import { type CheckpointContent, checkCompatible, loadCheckpoint } from "../../runtime/train/checkpoint.ts";
import { CheckpointError, writeSafetensors } from "../../runtime/train/safetensors.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { loadModel, readSource } from "../load.ts";
import { oneFile, parseOptions } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION } from "../overrides.ts";
import { UserError } from "../user-error.ts";

export const summary = "export to a PyTorch training script or to ONNX";

export const help = `Usage: nnc export FILE --to pytorch -o train_model.py [options]
       nnc export FILE --to onnx --checkpoint PATH -o model.onnx [options]

--to pytorch writes one Python script that trains the model of FILE as \`nnc run\` does, with
torch.nn and torch.optim. A built-in or synthetic data set goes next to it as
NAME.data.safetensors (the splits nnc makes); a CSV file stays where it is, and the script reads
and splits it as nnc does (a relative path becomes relative to the script's folder). Run it with
\`python train_model.py\`, or on N processes or GPUs with
\`torchrun --nproc_per_node=N train_model.py\` (DistributedDataParallel). It saves safetensors
weights in nnc's checkpoint layout, which \`nnc eval --checkpoint\` and \`nnc run --init\` read.

--to onnx writes the inference graph (the declared outputs, or the prediction when there are
none, with the saved standardization applied first, batch size symbolic) with the weights of
PATH, at ONNX opset ${ONNX_OPSET}.

Options:
  --to pytorch|onnx    what to write (required)
  -o, --output PATH    the file to write (required)
  --checkpoint PATH    the trained weights (--to onnx; required)
  --train MODEL        which train block (by model name or number), when FILE has several
${SET_HELP}
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("export", help, argv, {
    to: { type: "string" },
    output: { type: "string", short: "o" },
    checkpoint: { type: "string" },
    train: { type: "string" },
    ...SET_OPTION,
  });
  const file = oneFile("export", help, positionals);
  if (values.to !== "pytorch" && values.to !== "onnx") {
    throw new UserError(`nnc export: --to must be \`pytorch\` or \`onnx\`${values.to === undefined ? "" : `, not \`${values.to}\``}\n\n${help}`);
  }
  if (!values.output) throw new UserError(`nnc export: -o PATH (the file to write) is required\n\n${help}`);
  const loaded = loadModel("export", file, values.train, {}, commandLineOverrides("export", values.set));
  const output = values.output;
  try {
    if (values.to === "pytorch") {
      const where = scriptData(loaded.config, file, output);
      const script = exportPytorch({ model: loaded.model, config: loaded.config, source: file, scriptName: basename(output), data: where });
      // A CSV file is read here too, so that a problem in it is reported now, not by the script.
      const data = exportedData(loaded.model, loaded.config, dirname(file));
      mkdirSync(dirname(output) || ".", { recursive: true });
      if (where.kind === "file") writeSafetensors(join(dirname(output), where.name), data.tensors, data.metadata);
      writeAtomically(output, script);
      console.log(where.kind === "file" ? `wrote ${output} and ${join(dirname(output), where.name)}` : `wrote ${output} (it reads ${where.path}${isAbsolute(where.path) ? "" : ", from the script's folder"})`);
    } else {
      if (!values.checkpoint) throw new UserError(`nnc export: --to onnx needs --checkpoint PATH (the trained weights)\n\n${help}`);
      const checkpoint = readWeights(values.checkpoint, loaded.evalGraph);
      if (loaded.config.standardize && !checkpoint.standardizer) {
        throw new UserError(
          `nnc export: ${values.checkpoint} has no standardization (its metadata \`standardize\`), but the train block says \`normalize standardize\`; export the checkpoint that training wrote`,
        );
      }
      const bytes = exportOnnx({ model: loaded.model, graph: loaded.evalGraph, checkpoint });
      mkdirSync(dirname(output) || ".", { recursive: true });
      writeAtomically(output, bytes);
      console.log(`wrote ${output} (ONNX opset ${ONNX_OPSET})`);
    }
  } catch (error) {
    if (error instanceof ExportError) throw new UserError(exportMessage(file, values.to, error));
    if (error instanceof DataError) throw new UserError(`nnc: ${error.format()}`);
    throw error;
  }
  return 0;
}

// The checkpoint's weights, checked against the model (names, shapes, the standardizer's width).
// Only the runtime's checkpoint reader is loaded: exporting needs no backend.
function readWeights(path: string, graph: Graph): CheckpointContent {
  let content: CheckpointContent;
  try {
    content = loadCheckpoint(path);
  } catch (error) {
    if (error instanceof CheckpointError) throw new UserError(`nnc export: ${error.message}`);
    throw error;
  }
  const problems = checkCompatible(content, graph.params, graph.state);
  const input = graph.inputs.find((i) => i.role === "input");
  const width = input ? input.shape.slice(1).reduce<number>((a, d) => a * (typeof d === "number" ? d : NaN), 1) : NaN;
  if (content.standardizer && content.standardizer.mean.length !== width) {
    problems.push(`its standardization has ${content.standardizer.mean.length} features, the model's input ${width}`);
  }
  if (problems.length) throw new UserError(`nnc export: ${path} does not fit the model:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return content;
}

function exportMessage(file: string, to: string, error: ExportError): string {
  const target = to === "pytorch" ? "PyTorch" : "ONNX";
  const text = readSource("export", file);
  // A span past the file's end is in a --set override (compiler/analyze/overrides.ts).
  if (!error.span || error.span.start > text.length) return `nnc export: ${file}: cannot export to ${target}: ${error.message}`;
  const before = text.slice(0, error.span.start).split("\n");
  return `${file}:${before.length}:${before[before.length - 1]!.length + 1}: cannot export to ${target}: ${error.message}`;
}

function writeAtomically(path: string, content: string | Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
