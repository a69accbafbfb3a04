// The data of a plot as CSV, written beside its SVG: one row per point (`series`, x, y, named by the
// plot's axes, e.g. `series,epoch,loss,label`), then one row per marker (series `marker`, its x and
// its label). Numbers are written in full (JavaScript's shortest exact form), so the file holds the
// history's values, not the rounded pixels.

import type { Plot } from "./plot.ts";

export function plotCsv(plot: Plot): string {
  const rows: (string | number)[][] = [["series", plot.x.label, plot.y.label, "label"]];
  for (const series of plot.series) {
    for (const [x, y] of series.points) rows.push([series.name, x, y, ""]);
  }
  for (const marker of plot.markers ?? []) rows.push(["marker", marker.x, "", marker.label]);
  return rows.map((row) => row.map(csvCell).join(",")).join("\n") + "\n";
}

// A CSV cell (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces, as a
// series named after an override (`optimizer=sgd(lr: 0.1), …`) may.
export function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
