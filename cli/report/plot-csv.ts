// The data of a plot as CSV, written beside its SVG: one row per point (`series`, x, y, named by the
// plot's axes, e.g. `series,epoch,loss,label`), then one row per marker (series `marker`, its x and
// its label), and two rows per band (series `band`, the x of each edge, its label). Numbers are
// written in full (JavaScript's shortest exact form), so the file holds the history's values, not
// the rounded pixels. A contour plot adds a column named after its field (`loss`), with one `grid`
// row per grid point (x, y and the value) and one `level` row per contour level.

import { contourLevels } from "./contour.ts";
import type { Plot } from "./plot.ts";

export function plotCsv(plot: Plot): string {
  const header = ["series", plot.x.label, plot.y.label, "label", ...(plot.contour ? [plot.contour.label] : [])];
  const rows: (string | number)[][] = [header];
  for (const series of plot.series) {
    for (const [x, y] of series.points) rows.push([series.name, x, y, ""]);
  }
  for (const marker of plot.markers ?? []) rows.push(["marker", marker.x, "", marker.label]);
  for (const band of plot.bands ?? []) rows.push(["band", band.from, "", band.label], ["band", band.to, "", band.label]);
  if (plot.contour) {
    const { x, y, values } = plot.contour;
    y.forEach((yj, j) => x.forEach((xi, i) => rows.push(["grid", xi, yj, "", values[j * x.length + i]!])));
    for (const level of contourLevels(plot.contour)) rows.push(["level", "", "", "", level]);
  }
  return rows.map((row) => [...row, ...Array<string>(header.length - row.length).fill("")].map(csvCell).join(",")).join("\n") + "\n";
}

// A CSV cell (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces, as a
// series named after an override (`optimizer=sgd(lr: 0.1), …`) may.
export function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
