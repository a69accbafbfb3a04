// The golden report cases: one folder per case under test/report/cases, holding either a run's
// `history.json` (the `history` of `nnc run --json`), whose plots are the run's (cli/report/
// run-plots.ts), or one `plot.json` (a Plot as a command gives it: several runs overlaid, a
// sweep's points). Each plot's expected SVG and CSV are `<id>.svg` and `<id>.csv` beside it.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { History } from "../../runtime/train/history.ts";
import type { Plot } from "../../cli/report/plot.ts";
import { runPlots } from "../../cli/report/run-plots.ts";

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), "cases");

export interface ReportCase {
  name: string;
  dir: string;
  history: History | null;
  plots: Plot[];
}

export function reportCases(): ReportCase[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(CASES_DIR, entry.name);
      const files = readdirSync(dir);
      if (files.includes("history.json")) {
        const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as History;
        return { name: entry.name, dir, history, plots: runPlots(history) };
      }
      return { name: entry.name, dir, history: null, plots: [JSON.parse(readFileSync(join(dir, "plot.json"), "utf8")) as Plot] };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
