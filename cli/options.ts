// Option parsing shared by the commands, on node:util's parseArgs: unknown options and missing
// values become a UserError that names the command and shows its help, never a stack trace.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "./user-error.ts";
import type { Budget } from "../compiler/analyze/budget.ts";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

export function parseOptions<T extends OptionSpecs>(command: string, help: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/^TypeError \[\w+\]: /, "");
    throw new UserError(`nnc ${command}: ${message}\n\n${help}`);
  }
}

// A whole number from `min` to `max` given on the command line, in decimal (`1e6` too, but not
// `0x10` or an empty string, which Number() takes for 0), and never past 2^53 − 1, where numbers
// lose their last digits (`9007199254740993` would silently become …992).
export function integerOption(command: string, name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UserError(`nnc ${command}: --${name} needs a whole number ${range}, but got \`${value}\``);
  }
  return number;
}

export function oneFile(command: string, help: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UserError(`nnc ${command}: which file?\n\n${help}`);
  if (positionals.length > 1) throw new UserError(`nnc ${command}: one file at a time, but got ${positionals.map((p) => `\`${p}\``).join(", ")}`);
  return positionals[0]!;
}

// The size budget's limits (compiler/analyze/budget.ts), shared by the commands that check a model:
// `--max-params N`, `--max-activations N`, `--max-layers N`.
export const BUDGET_OPTIONS = {
  "max-params": { type: "string" },
  "max-activations": { type: "string" },
  "max-layers": { type: "string" },
} as const;

export const BUDGET_HELP = `  --max-params N       allow models with up to N parameters (default 100,000,000)
  --max-activations N  allow up to N values computed per example (default 5,000,000)
  --max-layers N       allow up to N layers once blocks and repeats are expanded (default 10,000)`;

export function budgetOption(command: string, values: Partial<Record<keyof typeof BUDGET_OPTIONS, string | undefined>>): Partial<Budget> {
  const budget: Partial<Budget> = {};
  const params = integerOption(command, "max-params", values["max-params"], 1);
  const activations = integerOption(command, "max-activations", values["max-activations"], 1);
  const layers = integerOption(command, "max-layers", values["max-layers"], 1);
  if (params !== undefined) budget.params = params;
  if (activations !== undefined) budget.activations = activations;
  if (layers !== undefined) budget.layers = layers;
  return budget;
}
