// A report on disk: `out.html` and, beside it, each plot as `out.ID.svg` with its data as
// `out.ID.csv`. The paths are checked before training (output-target.ts: nothing that nnc did not
// write is replaced), and each file is written whole, to a temporary name and then renamed, so a
// reader never sees half a report file.

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { checkOutputTarget, describeWriteError, type OutputKind, type OwnFile } from "../output-target.ts";
import { UserError } from "../user-error.ts";
import { GENERATED_BANNER, renderPage, type ReportPage } from "./page.ts";
import { plotCsv } from "./plot-csv.ts";
import { renderPlot } from "./plot.ts";

const KINDS: Record<"html" | "svg" | "csv", OutputKind> = {
  html: { what: "the report", option: "--report", recognize: (head) => head.includes('<meta name="generator" content="nnc">') },
  svg: { what: "a plot of the report", option: "--report", recognize: (head) => head.startsWith(`<!-- ${GENERATED_BANNER} -->`) },
  csv: { what: "a plot's data", option: "--report", recognize: (head) => head.startsWith("series,") },
};

export function checkReportName(command: string, path: string): void {
  if (path === "") throw new UserError(`nnc ${command}: --report needs a file name, but got an empty one`);
  if (!/\.html?$/i.test(path)) throw new UserError(`nnc ${command}: --report ${path}: the name must end in .html (the plots go beside it)`);
}

// Where a plot of the report `htmlPath` goes: `runs/out.html` → `runs/out.loss.svg`.
export function plotPath(htmlPath: string, id: string, extension: "svg" | "csv"): string {
  return `${htmlPath.slice(0, htmlPath.length - extname(htmlPath).length)}.${id}.${extension}`;
}

// Every file the report may write, for the checks before training and for the other outputs' own
// files (a --log must not be one of them).
export function reportPaths(htmlPath: string, plotIds: readonly string[]): { path: string; kind: "html" | "svg" | "csv" }[] {
  return [{ path: htmlPath, kind: "html" as const }, ...plotIds.flatMap((id) => (["svg", "csv"] as const).map((kind) => ({ path: plotPath(htmlPath, id, kind), kind })))];
}

export function checkReportTargets(command: string, htmlPath: string, plotIds: readonly string[], own: readonly OwnFile[]): void {
  checkReportName(command, htmlPath);
  for (const { path, kind } of reportPaths(htmlPath, plotIds)) checkOutputTarget(command, path, KINDS[kind], own);
}

// Writes the page and its plots; returns the paths written. The files of `formerIds`' plots that
// this page does not have (an earlier report's, checked before training) are removed, so the
// folder never mixes two runs' plots.
export function writeReport(command: string, htmlPath: string, page: ReportPage, formerIds: readonly string[] = []): string[] {
  const files = (plot: { id: string }) => ({ svg: basename(plotPath(htmlPath, plot.id, "svg")), csv: basename(plotPath(htmlPath, plot.id, "csv")) });
  const outputs: [string, string][] = [[htmlPath, renderPage(page, files)]];
  for (const plot of page.plots) {
    outputs.push([plotPath(htmlPath, plot.id, "svg"), standaloneSvg(renderPlot(plot))]);
    outputs.push([plotPath(htmlPath, plot.id, "csv"), plotCsv(plot)]);
  }
  for (const [path, text] of outputs) writeWhole(command, path, text);
  for (const id of formerIds.filter((id) => !page.plots.some((plot) => plot.id === id))) {
    for (const extension of ["svg", "csv"] as const) rmSync(plotPath(htmlPath, id, extension), { force: true });
  }
  return outputs.map(([path]) => path);
}

// An SVG file of its own starts with nnc's banner (how a later run knows it may replace it).
export function standaloneSvg(svg: string): string {
  return `<!-- ${GENERATED_BANNER} -->\n${svg}\n`;
}

function writeWhole(command: string, path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new UserError(`nnc ${command}: cannot write the report file ${path}: ${describeWriteError(error, path)}`);
  }
}
