// The nnc command line: `nnc <command> [options]`. Each command lives in cli/commands/<name>.ts
// and exports `help` (its usage text) and `run(argv)` (its exit code). A user's mistake is reported
// as a message with its location and exit code 1; an internal error is reported as a bug in nnc.

import { InternalError } from "../compiler/diagnostics/diagnostic.ts";
import { UserError } from "./user-error.ts";
import { GpuLimitError, GpuLostError } from "../runtime/webgpu/device.ts";

export interface Command {
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

// Commands are loaded only when used, so `nnc check` does not load the runtimes.
const COMMANDS: Record<string, () => Promise<Command>> = {
  check: () => import("./commands/check.ts"),
  fmt: () => import("./commands/fmt.ts"),
  compile: () => import("./commands/compile.ts"),
  run: () => import("./commands/run.ts"),
  eval: () => import("./commands/eval.ts"),
  predict: () => import("./commands/predict.ts"),
  ensemble: () => import("./commands/ensemble.ts"),
  compare: () => import("./commands/compare.ts"),
  sweep: () => import("./commands/sweep.ts"),
  export: () => import("./commands/export.ts"),
  analyze: () => import("./commands/analyze.ts"),
};

const SUMMARIES: Record<string, string> = {
  check: "parse and shape-check a .nn file, print a model summary",
  fmt: "format .nn files",
  compile: "show the fused WebGPU plan of a model (--stats)",
  run: "train a model, then evaluate it",
  eval: "evaluate a checkpoint (or an ensemble of several) on the test split",
  predict: "run a checkpoint (or an ensemble of several) on new inputs",
  ensemble: "train an ensemble (by seed, train block or snapshots) and evaluate it",
  compare: "train several runs (train blocks or --vary variations) and compare them",
  sweep: "search hyper-parameters: seeded random search, narrowed round by round",
  export: "export to a PyTorch training script (torchrun) or to ONNX",
  analyze: "the kind of critical point: gradient, Hessian spectrum, verdict, saddle escape",
};

function usage(): string {
  const width = Math.max(...Object.keys(SUMMARIES).map((name) => name.length));
  const lines = Object.entries(SUMMARIES).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return `nnc — a compiler for .nn neural-network files\n\nUsage: nnc <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun \`nnc <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version") {
    console.log("nnc 0.1.0");
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`nnc: unknown command \`${name}\`\n\n${usage()}`);
    return 1;
  }
  try {
    const command = await load();
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(command.help);
      return 0;
    }
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UserError) {
      if (error.message) console.error(error.message);
      return 1;
    }
    // The GPU cannot hold the model, or went away: not a bug, and not the file's mistake either,
    // but something the user can act on (a smaller batch, another backend).
    if (error instanceof GpuLimitError || error instanceof GpuLostError) {
      console.error(`nnc ${name}: ${error.message}`);
      return 1;
    }
    if (error instanceof InternalError) {
      console.error(`${error.message}\nThis is a bug in nnc, not in your file; please report it with the file that caused it.`);
      if (process.env.NNC_DEBUG) console.error(error.stack);
      return 2;
    }
    throw error;
  }
}
