// `nnc compile FILE --stats`: what the WebGPU backend makes of a model, without running it: for the
// training step and for inference, the kernels (dispatches) with the ops each one fuses, the
// buffers, and the GPU memory at the train block's batch size. `--dump-wgsl DIR` writes the
// kernels' WGSL. Writing the model as a TypeScript module (`-o model.ts`) is the next step of nnc.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planKernels, type KernelPlan } from "../../compiler/codegen/wgsl/kernels.ts";
import { shareBuffers } from "../../compiler/codegen/wgsl/buffers.ts";
import { concreteShape, type Graph } from "../../compiler/ir/graph.ts";
import { stepOutputs } from "../../compiler/step/programs.ts";
import { compilePrograms } from "../../runtime/session.ts";
import { describeFsError } from "../../runtime/files.ts";
import { loadModel } from "../load.ts";
import { BUDGET_HELP, BUDGET_OPTIONS, budgetOption, integerOption, oneFile, parseOptions } from "../options.ts";
import { UserError } from "../user-error.ts";

export const summary = "show the fused WebGPU plan of a model (--stats)";

export const help = `Usage: nnc compile FILE --stats [options]

Compiles the model of FILE for WebGPU and reports, for the training step and for inference, the
kernels (one dispatch each, one submit per step) with the ops each one fuses, the buffers, and the
GPU memory they take at the batch size. Nothing runs; no GPU is needed.

Options:
  --stats              print the plan (the only output this version writes)
  --json               print it as JSON
  --dump-wgsl DIR      also write each kernel's WGSL to DIR (step-NN-NAME.wgsl, inference-NN-NAME.wgsl)
  --train MODEL|N      which train block, by model name or number
  --batch N            the batch size to size buffers for (default: the train block's, or 128)
${BUDGET_HELP}
  -h, --help           show this help

Writing a TypeScript module (\`-o model.ts\`) comes in a later version.`;

interface ProgramStats {
  dispatches: number;
  kernels: { name: string; outputs: string[]; mode: string }[];
  buffers: number; // intermediate buffers (not parameters or state), shared by liveness
  resident_bytes: number; // parameters, batch-norm statistics, optimizer slots, metrics
  buffer_bytes: number; // the intermediates at this batch size
  peak_bytes: number; // both: nothing is freed during a step
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("compile", help, argv, {
    ...BUDGET_OPTIONS,
    stats: { type: "boolean" },
    json: { type: "boolean" },
    "dump-wgsl": { type: "string" },
    train: { type: "string" },
    batch: { type: "string" },
    output: { type: "string", short: "o" },
    target: { type: "string" },
  });
  const file = oneFile("compile", help, positionals);
  if (values.output !== undefined || values.target !== undefined) {
    throw new UserError("nnc compile: writing a TypeScript module (-o, --target) is not part of this version yet; `nnc compile FILE --stats` shows the compiled plan");
  }
  if (!values.stats && values["dump-wgsl"] === undefined) throw new UserError(`nnc compile: say what to show: --stats (and/or --dump-wgsl DIR)\n\n${help}`);
  const loaded = loadModel("compile", file, values.train, budgetOption("compile", values));
  const batch = integerOption("compile", "batch", values.batch, 1) ?? (typeof loaded.config.batch === "number" ? loaded.config.batch : 128);
  const programs = compilePrograms(loaded, loaded.config);
  const step = programs.step.graph;
  const outputs = stepOutputs(step);
  const stepPlan = planKernels(step, [...outputs.read.map((r) => r.node), ...outputs.updates.map((u) => u.node)]);
  const inference = programs.inference;
  const inferencePlan = planKernels(inference, Object.values(inference.outputs));
  const stats = {
    step: statsOf(step, stepPlan, batch, new Set([...outputs.read.map((r) => r.node), ...outputs.updates.map((u) => u.node)])),
    inference: statsOf(inference, inferencePlan, batch, new Set(Object.values(inference.outputs))),
  };

  if (values["dump-wgsl"] !== undefined) dumpWgsl(values["dump-wgsl"], { step: stepPlan, inference: inferencePlan });
  if (values.json) console.log(JSON.stringify({ model: loaded.model.name, batch, submits_per_step: 1, ...stats }, null, 2));
  else if (values.stats) console.log(formatStats(loaded.model.name, batch, stats));
  return 0;
}

function statsOf(graph: Graph, plan: KernelPlan, batch: number, keep: ReadonlySet<number>): ProgramStats {
  const bindings = Object.fromEntries(plan.uniform.symbols.map((s) => [s, batch]));
  const bytes = (id: number) => Math.max(4, concreteShape(graph.nodes[id]!.shape, bindings).reduce((a, b) => a * b, 1) * 4);
  const sources = new Set(["param", "state"]);
  let resident = 0;
  for (const id of plan.materialized) if (sources.has(graph.nodes[id]!.op)) resident += bytes(id);
  // As the WebGPU program allocates them: kernel outputs share buffers by liveness.
  const { slotBytes } = shareBuffers(plan, keep, bytes);
  const buffers = slotBytes.length;
  const bufferBytes = slotBytes.reduce((a, b) => a + b, 0);
  const shape = (id: number) => `[${graph.nodes[id]!.shape.join(", ")}]`;
  return {
    dispatches: plan.kernels.length,
    kernels: plan.kernels.map((k) => ({ name: k.name, outputs: k.outputs.map(shape), mode: k.mode })),
    buffers,
    resident_bytes: resident,
    buffer_bytes: bufferBytes,
    peak_bytes: resident + bufferBytes,
  };
}

function formatStats(model: string, batch: number, stats: { step: ProgramStats; inference: ProgramStats }): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  const lines = [`${model} on WebGPU, batch ${batch}`];
  for (const [title, s] of [["training step", stats.step], ["inference", stats.inference]] as const) {
    lines.push("", `${title}: ${s.dispatches} dispatches, 1 submit; ${s.buffers} buffers (${mib(s.buffer_bytes)}) + ${mib(s.resident_bytes)} resident = ${mib(s.peak_bytes)} of GPU memory`);
    s.kernels.forEach((k, i) => lines.push(`  ${String(i + 1).padStart(3)}  ${k.name.padEnd(44)} → ${k.outputs.join(", ")}`));
  }
  return lines.join("\n");
}

function dumpWgsl(folder: string, plans: Record<string, KernelPlan>): void {
  try {
    mkdirSync(folder, { recursive: true });
    for (const [name, plan] of Object.entries(plans)) {
      plan.kernels.forEach((k, i) => writeFileSync(join(folder, `${name}-${String(i + 1).padStart(2, "0")}-${k.name.replace(/[^A-Za-z0-9_+-]/g, "_")}.wgsl`), `${k.code}\n`));
    }
  } catch (error) {
    throw new UserError(`nnc compile: cannot write the WGSL to \`${folder}\`: ${describeFsError(error)}`);
  }
}
