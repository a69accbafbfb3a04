// Option parsing shared by the commands, on node:util's parseArgs: unknown options and missing
// values become a UserError that names the command and shows its help, never a stack trace.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "./user-error.ts";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

export function parseOptions<T extends OptionSpecs>(command: string, help: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/^TypeError \[\w+\]: /, "");
    throw new UserError(`nnc ${command}: ${message}\n\n${help}`);
  }
}

// A whole number ≥ `min` given on the command line.
export function integerOption(command: string, name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new UserError(`nnc ${command}: --${name} needs a whole number ≥ ${min}, but got \`${value}\``);
  }
  return number;
}

export function oneFile(command: string, help: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UserError(`nnc ${command}: which file?\n\n${help}`);
  if (positionals.length > 1) throw new UserError(`nnc ${command}: one file at a time, but got ${positionals.map((p) => `\`${p}\``).join(", ")}`);
  return positionals[0]!;
}
