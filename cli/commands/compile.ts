// `nnc compile FILE -o model.ts`: the model as a TypeScript (or JavaScript) module of its own
// that imports only `nnc/runtime` (cli/compile-module.ts). `nnc compile FILE --stats`: what the
// WebGPU backend makes of a model, without running it: for the training step and for inference,
// the dispatches, the kernels each one runs with the ops each kernel fuses, the buffers, and the
// GPU memory at the train block's batch size. `--dump-wgsl DIR` writes each dispatch's WGSL.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_BINDING_ELEMENTS } from "../../compiler/codegen/ts/webgpu.ts";
import { planProgram, type ProgramPlan } from "../../compiler/codegen/wgsl/dispatches.ts";
import { concreteShape, type Graph, type IRNode } from "../../compiler/ir/graph.ts";
import { compilePrograms } from "../../runtime/session.ts";
import { describeFsError } from "../../runtime/files.ts";
import { programRequest, residentLayout, type ProgramRequest } from "../../runtime/webgpu/resident.ts";
import { writeModule } from "../compile-module.ts";
import { loadModel } from "../load.ts";
import { BUDGET_HELP, BUDGET_OPTIONS, budgetOption, integerOption, oneFile, parseOptions } from "../options.ts";
import { UserError } from "../user-error.ts";

export const summary = "compile a model into a TypeScript module (-o), or show its WebGPU plan (--stats)";

export const help = `Usage: nnc compile FILE -o model.ts [options]
       nnc compile FILE --stats [options]

With -o, writes the model of FILE and its train block as one module that imports only
\`nnc/runtime\`: createModel (on a GPUDevice, on WebGPU, or on nnc's CPU runtime), trainStep and fit
(the training of \`nnc run\`, with the same numbers), predict, evaluate, and saveWeights and
loadWeights (the safetensors files \`nnc run --save\` writes), typed, with the input's and the
outputs' shapes in its types and doc comments. It holds the model's graphs for the CPU runtime and
its WebGPU programs (WGSL) compiled ahead of time for WebGPU's default limits, which every adapter
has. docs/API.md documents it.

With --stats, reports for the training step and for inference the dispatches (one submit per step),
the kernels each runs with the ops each one fuses, the buffers, and the GPU memory they take at the
batch size, for WebGPU's default limits. Nothing runs; no GPU is needed.

Options:
  -o, --output PATH    write the module to PATH (model.ts; model.js is JavaScript)
  --target ts|js       TypeScript (the default), or an ES module of plain JavaScript with its
                       declarations beside it (model.js and model.d.ts)
  --weights PATH       embed these trained weights (a checkpoint of \`nnc run --save\`), which the
                       model then starts from; without it, fresh weights from the train block's seed
  --matmul VARIANT     how the WebGPU programs compute matmuls: blocked8x4 (the default), another
                       blockedRxC, or naive (subgroup variants are refused: their size depends on
                       the adapter)
  --train MODEL|N      which train block, by model name or number
  --stats              print the WebGPU plan
  --json               print it as JSON
  --dump-wgsl DIR      also write each dispatch's WGSL to DIR (step-NN.wgsl, inference-NN.wgsl)
  --batch N            the batch size to size buffers for (default: the train block's, or 128)
${BUDGET_HELP}
  -h, --help           show this help`;

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
    weights: { type: "string" },
    matmul: { type: "string" },
  });
  const file = oneFile("compile", help, positionals);
  const output = values.output;
  for (const option of ["target", "weights", "matmul"] as const) {
    if (output === undefined && values[option] !== undefined) throw new UserError(`nnc compile: --${option} is an option of the module; say where to write it with -o PATH`);
  }
  if (output === "") throw new UserError("nnc compile: -o needs a file name, but got an empty one");
  if (output === undefined && !values.stats && values["dump-wgsl"] === undefined) {
    throw new UserError(`nnc compile: say what to write: -o model.ts (a module), or --stats (and/or --dump-wgsl DIR)\n\n${help}`);
  }
  const loaded = loadModel("compile", file, values.train, budgetOption("compile", values));
  if (output !== undefined) {
    const written = await writeModule(loaded, { output, target: values.target, weights: values.weights, matmul: values.matmul, train: values.train });
    console.error(`wrote ${written.join(" and ")}`);
    if (!values.stats && values["dump-wgsl"] === undefined) return 0;
  }
  const batch = integerOption("compile", "batch", values.batch, 1) ?? (typeof loaded.config.batch === "number" ? loaded.config.batch : 128);
  const programs = compilePrograms(loaded, loaded.config);
  const step = programs.step.graph;
  const inference = programs.inference;
  // The programs as the WebGPU backend requests them (runtime/webgpu/resident.ts), at WebGPU's
  // default limits; inference with every output at once.
  const layout = residentLayout(programs, DEFAULT_BINDING_ELEMENTS);
  const stepPlan = planFor(programRequest(programs, layout, "step"));
  const inferencePlan = planFor({ ...programRequest(programs, layout, "predict:prediction"), read: Object.values(inference.outputs) });
  const stats = { step: statsOf(step, stepPlan, batch), inference: statsOf(inference, inferencePlan, batch) };

  if (values["dump-wgsl"] !== undefined) dumpWgsl(values["dump-wgsl"], { step: stepPlan, inference: inferencePlan });
  if (values.json) console.log(JSON.stringify({ model: loaded.model.name, batch, submits_per_step: 1, ...stats }, null, 2));
  else if (values.stats) console.log(formatStats(loaded.model.name, batch, stats));
  return 0;
}

function planFor(request: ProgramRequest): ProgramPlan {
  return planProgram(request.graph, { ...request, maxBindingElements: DEFAULT_BINDING_ELEMENTS });
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
