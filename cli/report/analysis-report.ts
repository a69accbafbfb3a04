// The report of `nnc analyze --report`: the analysis as the terminal printed it, the spectral
// density drawn, and with --landscape the loss along the line and over the plane.

import type { AnalysisReport } from "../../runtime/analysis/analyze.ts";
import type { LandscapeResult } from "../landscape.ts";
import { landscapePlots } from "../landscape.ts";
import { densityPlot } from "./landscape-plots.ts";
import type { ReportPage } from "./page.ts";
import type { Plot } from "./plot.ts";
import { shellWord } from "./run-report.ts";

export const ANALYZE_PLOT_IDS = ["density", "line", "plane"] as const;

// The Hessian's spectral density of an analysis (and its exact eigenvalues when it has them): the
// plot "density" of `nnc analyze --report` and of `nnc run --analyze --report`.
export function spectralDensityPlot(r: AnalysisReport): Plot {
  return densityPlot({ id: "density", density: r.density, exact: r.exact?.eigenvalues ?? null, extremes: { smallest: r.lanczos.smallest.value, largest: r.lanczos.largest.value } });
}

export function analysisReport(input: { model: string; file: string; backend: string; argv: string[]; results: string[]; report: AnalysisReport; landscape: LandscapeResult | null }): ReportPage {
  const r = input.report;
  return {
    title: `analysis of ${input.model}: ${input.file}`,
    lines: [input.backend],
    results: input.results,
    plots: [spectralDensityPlot(r), ...(input.landscape ? landscapePlots(input.landscape) : [])],
    texts: [{ title: "The command", text: ["nnc", ...input.argv].map(shellWord).join(" ") }],
  };
}
