// The report of one `nnc run`: what ran, its results as the terminal printed them, the curves of
// its history (run-plots.ts) and its configuration: the train block as the file has it, the
// settings the command line overrode, and the command itself.

import type { History } from "../../runtime/train/history.ts";
import type { ReportPage } from "./page.ts";
import type { Plot } from "./plot.ts";
import { runPlots } from "./run-plots.ts";

export interface RunReportInput {
  model: string;
  file: string;
  backend: string; // the run's first line ("backend: cpu (…)")
  argv: string[]; // the command's arguments after `nnc`
  trainBlock: { text: string; line: number } | null; // as written in the file, and its first line
  overrides: string[]; // settings the command line changed, as train-block lines ("epochs 2")
  results: string[];
  history: History;
  plots?: Plot[]; // after the history's (the trajectory of --trace)
}

export function runReport(input: RunReportInput): ReportPage {
  const config: string[] = [];
  if (input.trainBlock) config.push(`# ${input.file}, line ${input.trainBlock.line}`, input.trainBlock.text);
  else config.push(`# ${input.file} has no train block text to show`);
  if (input.overrides.length) config.push("", "# overridden on the command line", ...input.overrides);
  config.push("", "# the command", ["nnc", ...input.argv].map(shellWord).join(" "));
  return {
    title: `${input.model}: ${input.file}`,
    lines: [input.backend],
    results: input.results,
    plots: [...runPlots(input.history), ...(input.plots ?? [])],
    texts: [{ title: "Configuration", text: config.join("\n") }],
  };
}

// A word of a command line as a POSIX shell would need it.
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
