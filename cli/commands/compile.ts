// `nnc compile FILE --stats`: what the WebGPU backend makes of a model, without running it: for the
// training step and for inference, the dispatches, the kernels each one runs with the ops each
// kernel fuses, the buffers, and the GPU memory at the train block's batch size. `--dump-wgsl
// DIR` writes each dispatch's WGSL. Writing the model as a TypeScript module (`-o model.ts`) is the next step of nnc.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planProgram, type ProgramPlan, type ResidentPlace } from "../../compiler/codegen/wgsl/dispatches.ts";
import { packArenas } from "../../compiler/codegen/wgsl/layout.ts";
import { concreteShape, type Graph, type IRNode } from "../../compiler/ir/graph.ts";
import { stepOutputs } from "../../compiler/step/programs.ts";
import { compilePrograms } from "../../runtime/session.ts";
import { describeFsError } from "../../runtime/files.ts";
import { loadModel } from "../load.ts";
import { BUDGET_HELP, BUDGET_OPTIONS, budgetOption, integerOption, oneFile, parseOptions } from "../options.ts";
import { UserError } from "../user-error.ts";

export const summary = "show the fused WebGPU plan of a model (--stats)";

export const help = `Usage: nnc compile FILE --stats [options]

Compiles the model of FILE for WebGPU and reports, for the training step and for inference, the
dispatches (one submit per step), the kernels each runs with the ops each one fuses, the buffers,
and the GPU memory they take at the batch size, for WebGPU's default limits. Nothing runs; no GPU
is needed.

Options:
  --stats              print the plan (the only output this version writes)
  --json               print it as JSON
  --dump-wgsl DIR      also write each dispatch's WGSL to DIR (step-NN.wgsl, inference-NN.wgsl)
  --train MODEL|N      which train block, by model name or number
  --batch N            the batch size to size buffers for (default: the train block's, or 128)
${BUDGET_HELP}
  -h, --help           show this help

Writing a TypeScript module (\`-o model.ts\`) comes in a later version.`;

interface ProgramStats {
  dispatches: number;
  kernels: { name: string; outputs: string[]; mode: string; dispatch: number }[]; // dispatch: 1-based
  in_place_updates: number; // parameter and state updates written straight into their tensors
  buffers: number; // the program's own buffers (arenas and slots; not parameters or state)
  resident_bytes: number; // parameters, batch-norm statistics, optimizer slots, metrics
  buffer_bytes: number; // the program's own buffers at this batch size
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
  const stepPlan = planFor(step, outputs.read.map((r) => r.node), outputs.updates);
  const inference = programs.inference;
  const inferencePlan = planFor(inference, Object.values(inference.outputs), []);
  const stats = { step: statsOf(step, stepPlan, batch), inference: statsOf(inference, inferencePlan, batch) };

  if (values["dump-wgsl"] !== undefined) dumpWgsl(values["dump-wgsl"], { step: stepPlan, inference: inferencePlan });
  if (values.json) console.log(JSON.stringify({ model: loaded.model.name, batch, submits_per_step: 1, ...stats }, null, 2));
  else if (values.stats) console.log(formatStats(loaded.model.name, batch, stats));
  return 0;
}

// The program as the WebGPU backend plans it at WebGPU's default limits: the parameters and
// state packed into resident arenas in the backend's order (parameters, then state).
const MAX_BINDING_ELEMENTS = 2 ** 27 / 4;

function planFor(graph: Graph, read: number[], updates: { node: number; name: string }[]): ProgramPlan {
  const tensors = [...graph.params, ...graph.state];
  const packed = packArenas(tensors.map((t) => t.shape.reduce((a, b) => a * b, 1)), MAX_BINDING_ELEMENTS);
  const places = new Map<string, ResidentPlace>(tensors.map((t, i) => [t.name, packed.places[i]!]));
  const resident = (node: IRNode) => places.get((node.attrs as { name: string }).name) ?? null;
  const targets = updates.map((u) => ({ node: u.node, target: places.get(u.name)! }));
  return planProgram(graph, { read, updates: targets, resident, maxBindingElements: MAX_BINDING_ELEMENTS });
}

function statsOf(graph: Graph, plan: ProgramPlan, batch: number): ProgramStats {
  const bindings = Object.fromEntries(plan.uniform.symbols.map((s) => [s, batch]));
  const bytes = (shape: IRNode["shape"]) => Math.max(4, concreteShape(shape, bindings).reduce((a, b) => a * b, 1) * 4);
  const resident = [...graph.params, ...graph.state].reduce((total, t) => total + bytes(t.shape), 0);
  const owned = [...plan.slots.map(bytes), ...plan.arenas.map((elements) => Math.max(4, elements * 4))];
  const bufferBytes = owned.reduce((a, b) => a + b, 0);
  const shape = (id: number) => `[${graph.nodes[id]!.shape.join(", ")}]`;
  const dispatchOf = new Map(plan.dispatches.flatMap((d, k) => d.kernels.map((kernel) => [kernel, k + 1])));
  return {
    dispatches: plan.dispatches.length,
    kernels: plan.dispatches.flatMap((d) => d.kernels.map((k) => plan.kernels[k]!)).map((k) => ({ name: k.name, outputs: k.outputs.map(shape), mode: k.mode, dispatch: dispatchOf.get(plan.kernels.indexOf(k))! })),
    in_place_updates: plan.inPlace.size,
    buffers: owned.length,
    resident_bytes: resident,
    buffer_bytes: bufferBytes,
    peak_bytes: resident + bufferBytes,
  };
}

function formatStats(model: string, batch: number, stats: { step: ProgramStats; inference: ProgramStats }): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  const lines = [`${model} on WebGPU, batch ${batch}`];
  for (const [title, s] of [["training step", stats.step], ["inference", stats.inference]] as const) {
    const inPlace = s.in_place_updates ? `, ${s.in_place_updates} updates in place` : "";
    lines.push("", `${title}: ${s.dispatches} dispatches of ${s.kernels.length} kernels, 1 submit${inPlace}; ${s.buffers} buffers (${mib(s.buffer_bytes)}) + ${mib(s.resident_bytes)} resident = ${mib(s.peak_bytes)} of GPU memory`);
    s.kernels.forEach((k, i) => {
      const first = i === 0 || s.kernels[i - 1]!.dispatch !== k.dispatch;
      lines.push(`  ${first ? String(k.dispatch).padStart(3) : "   "}  ${k.name.padEnd(44)} → ${k.outputs.join(", ")}`);
    });
  }
  return lines.join("\n");
}

function dumpWgsl(folder: string, plans: Record<string, ProgramPlan>): void {
  try {
    mkdirSync(folder, { recursive: true });
    for (const [name, plan] of Object.entries(plans)) {
      plan.dispatches.forEach((d, i) => writeFileSync(join(folder, `${name}-${String(i + 1).padStart(2, "0")}.wgsl`), `// ${d.name}\n${d.code}\n`));
    }
  } catch (error) {
    throw new UserError(`nnc compile: cannot write the WGSL to \`${folder}\`: ${describeFsError(error)}`);
  }
}
