// Option parsing shared by the commands, on node:util's parseArgs: unknown options and missing
// values become a UserError in nnc's words that names the command (`nnc run: unknown option
// --foo; see nnc run --help`), never a stack trace.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "./user-error.ts";
import type { Budget } from "../compiler/analyze/budget.ts";
import { closest } from "../compiler/diagnostics/registry.ts";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

// The arguments are read leniently first, to find what is wrong in nnc's words; then once more,
// strictly, with every value attached to its option (`--seed=-1`), so that a value that starts with
// a dash (`--seed -1`, `--set "x=-1"`) is the option's value rather than "ambiguous".
export function parseOptions<T extends OptionSpecs>(command: string, help: string, argv: string[], options: T) {
  const see = `see nnc ${command} --help`;
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const attached: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") attached.push("--");
    else if (token.kind === "positional") attached.push(token.value);
    else {
      const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
      if (!spec) throw new UserError(unknownOption(command, token.rawName, Object.keys(options)));
      if (spec.type === "boolean") {
        if (token.inlineValue) throw new UserError(`nnc ${command}: ${token.rawName} takes no value, but got \`${token.rawName}=${token.value}\`; ${see}`);
        attached.push(`--${token.name}`);
        continue;
      }
      // A value that is another option (`--checkpoint --json`) is a value forgotten.
      if (token.value === undefined || (!token.inlineValue && /^--[A-Za-z]/.test(token.value))) {
        throw new UserError(`nnc ${command}: ${token.rawName} needs a value${token.value === undefined ? "" : `, but the next argument is the option ${token.value}`}; ${see}`);
      }
      attached.push(`--${token.name}=${token.value}`);
    }
  }
  try {
    return parseArgs({ args: attached, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Everything parseArgs refuses was caught above; this is a safety net that still names the command.
    const message = (error as Error).message.replace(/^TypeError \[\w+\]: /, "");
    throw new UserError(`nnc ${command}: ${message}\n\n${help}`);
  }
}

// The message for an option the command does not have, with the closest one it has, if any. The
// commands that read their arguments by hand (check, fmt) use it too.
export function unknownOption(command: string, option: string, known: readonly string[]): string {
  const name = option.replace(/^-+/, "").replace(/=.*$/, "");
  const suggestion = option.startsWith("--") ? closest(name, known) : null;
  return `nnc ${command}: unknown option ${option.replace(/=.*$/, "")}${suggestion ? ` (did you mean --${suggestion}?)` : ""}; see nnc ${command} --help`;
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
