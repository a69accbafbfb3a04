// One plot as an SVG string: axes, named series, a legend and vertical markers. What to draw is
// data (a `Plot`): `nnc run` draws a run's curves with it (run-plots.ts), and a command that
// compares runs overlays theirs by giving each run's series one `group` (one color) and the
// validation series `dashed`; a sweep draws `points`, with the box each round sampled from as a
// shaded `Band` of x values, and a choice among words on a `categories` axis. The geometry is d3's: scales and their ticks
// (d3-scale, log scales included), the line paths (d3-shape) and the numbers on the axes
// (d3-format); the elements around them are written as strings (svg.ts).
//
// The plot area carries its scales as data attributes (`data-x-scale="log"`,
// `data-x-domain="0 15"`, …) and every series its name, so a test can rebuild the scales and check
// each drawn coordinate against the data (test/report/drawn.test.ts).

import { format } from "d3-format";
import { scaleLinear, scaleLog } from "d3-scale";
import { line } from "d3-shape";
import { type ContourField, contourLegend, drawContour } from "./contour.ts";
import { element, px } from "./svg.ts";

export type Point = readonly [x: number, y: number];

export interface Series {
  name: string; // in the legend, and the `series` column of the plot's CSV
  points: readonly Point[];
  group?: string; // series of one group share a color (one run among several); default: the name
  dashed?: boolean; // e.g. validation beside training in the same color
  // faint: a thin pale line under the others (per-step values); trajectory: a path through the
  // parameters' positions, each a dot, the start a ring and the end a larger dot, on a white halo
  // that keeps it visible over a contour's colours.
  style?: "line" | "faint" | "points" | "trajectory";
}

export interface Marker {
  x: number;
  label: string;
  kind: "phase" | "stop" | "restore" | "lr"; // how the line is drawn
}

// A shaded range of x values across the plot (a sweep's box in one round), in its group's colour.
export interface Band {
  from: number;
  to: number;
  label: string;
  group?: string; // the series group whose colour it takes
}

export interface Axis {
  label: string; // also the column's name in the CSV
  scale?: "linear" | "log";
  // Named values at 0, 1, 2, … (a sweep's `choice` among words), labelled by name on the axis.
  categories?: readonly string[];
  format?: string; // a d3-format specifier for the tick labels (".0%", "~e"); default: d3's choice
  integer?: boolean; // ticks at whole numbers only (epochs, steps)
  domain?: readonly [number, number]; // default: the extent of the data and markers, made nice
}

export interface Plot {
  id: string; // the file's name part (`out.loss.svg`) and a prefix for ids inside the page
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  markers?: Marker[];
  bands?: Band[];
  // A field drawn under the series as filled contour bands with a colour legend (contour.ts): the
  // loss over a plane of the weights, with trajectories as series. The plot is taller, and its
  // series are clipped to the plot area.
  contour?: ContourField;
}

export const PLOT_WIDTH = 720;
export const PLOT_HEIGHT = 320;
const MARGIN = { top: 34, right: 176, bottom: 46, left: 66 };
const INNER_WIDTH = PLOT_WIDTH - MARGIN.left - MARGIN.right;
const INNER_HEIGHT = PLOT_HEIGHT - MARGIN.top - MARGIN.bottom;
const CONTOUR_INNER_HEIGHT = 360;
const TICKS = 6;
// Tableau 10: distinct to most eyes, colour-blind ones included, and printable.
export const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const MARKER_STYLE: Record<Marker["kind"], { color: string; dash: string }> = {
  phase: { color: "#6b6b6b", dash: "2 3" },
  lr: { color: "#b07aa1", dash: "2 3" },
  stop: { color: "#e15759", dash: "6 3" },
  restore: { color: "#59a14f", dash: "6 3" },
};
// The most markers drawn with dots on a line (a per-epoch curve); a longer series is a line only.
const MAX_DOTS = 60;
const MIN_TRAJECTORY_STEP = 1.5;
// The legend stands right of the plot when its names fit there (about 6.2 px a character at 11 px),
// else below it, one entry a row, and the SVG grows to hold it (the long names of compared runs).
const LEGEND_ROW = 18;
const LEGEND_CHARACTERS = Math.floor((MARGIN.right - 18 - 30) / 6.2);

type Scale = ((value: number) => number) & {
  ticks(count: number): number[];
  tickFormat(count: number, specifier?: string): (value: number) => string;
  domain(): number[];
};

// The axis's scale over `values` onto [from, to] pixels.
export function axisScale(axis: Axis, values: number[], range: readonly [number, number]): Scale {
  if (axis.categories) {
    const [lo, hi] = axis.domain ?? [-0.5, axis.categories.length - 0.5];
    return scaleLinear().domain([lo, hi]).range([range[0], range[1]]) as unknown as Scale;
  }
  const log = axis.scale === "log";
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let [lo, hi] = axis.domain ?? [Math.min(...usable), Math.max(...usable)];
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = log ? [1, 10] : [0, 1];
  if (lo === hi) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - (Math.abs(lo) || 1) / 2, hi + (Math.abs(hi) || 1) / 2];
  if (log) {
    // Rounded out to whole decades a loss from 2.3 to 0.15 would get 0.1 to 10, mostly empty; a
    // margin of 15% keeps the curve large, and d3 still puts the ticks at 1, 2, 5 × 10^k.
    const [from, to] = axis.domain ? [lo, hi] : [lo / 1.15, hi * 1.15];
    return scaleLog().domain([from, to]).range([range[0], range[1]]) as unknown as Scale;
  }
  const scale = scaleLinear().domain([lo, hi]);
  if (!axis.domain) scale.nice();
  return scale.range([range[0], range[1]]) as unknown as Scale;
}

function ticksOf(axis: Axis, scale: Scale): { value: number; label: string }[] {
  if (axis.categories) return axis.categories.map((label, value) => ({ value, label }));
  let values = scale.ticks(TICKS);
  if (axis.integer) values = values.filter(Number.isInteger);
  const label = scale.tickFormat(TICKS, axis.format ?? (axis.integer ? "d" : undefined));
  return values.map((value) => ({ value, label: label(value) }));
}

export function seriesColors(series: readonly Series[]): Map<string, string> {
  const colors = new Map<string, string>();
  for (const s of series) {
    const group = s.group ?? s.name;
    if (!colors.has(group)) colors.set(group, PALETTE[colors.size % PALETTE.length]!);
  }
  return colors;
}

export function renderPlot(plot: Plot): string {
  const markers = plot.markers ?? [];
  const bands = plot.bands ?? [];
  const x = axisScale(plot.x, [...plot.series.flatMap((s) => s.points.map((p) => p[0])), ...markers.map((m) => m.x), ...bands.flatMap((b) => [b.from, b.to])], [0, INNER_WIDTH]);
  const innerHeight = plot.contour ? CONTOUR_INNER_HEIGHT : INNER_HEIGHT;
  const plotHeight = innerHeight + MARGIN.top + MARGIN.bottom;
  const y = axisScale(plot.y, plot.series.flatMap((s) => s.points.map((p) => p[1])), [innerHeight, 0]);
  const colors = seriesColors(plot.series);
  const below = plot.series.some((s) => s.name.length > LEGEND_CHARACTERS);
  const height = below ? plotHeight + plot.series.length * LEGEND_ROW + 4 : plotHeight;
  const drawable = (p: Point) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (plot.y.scale !== "log" || p[1] > 0) && (plot.x.scale !== "log" || p[0] > 0);
  const path = line<Point>()
    .defined(drawable)
    .x((p) => x(p[0]))
    .y((p) => y(p[1]))
    .digits(2);

  const area = element(
    "g",
    {
      class: "plot-area",
      transform: `translate(${MARGIN.left},${MARGIN.top})`,
      "data-width": INNER_WIDTH,
      "data-height": innerHeight,
      "data-x-scale": plot.x.scale ?? "linear",
      "data-x-domain": x.domain().join(" "),
      "data-y-scale": plot.y.scale ?? "linear",
      "data-y-domain": y.domain().join(" "),
    },
    [
      ...(plot.contour ? [element("clipPath", { id: `${plot.id}-clip` }, [element("rect", { width: INNER_WIDTH, height: innerHeight })]), drawContour(plot.contour, x, y)] : []),
      // A contour plot's bands are its grid: no grid lines across them.
      xAxis(plot.x, x, plot.contour ? 0 : innerHeight, innerHeight),
      yAxis(plot.y, y, plot.contour ? 0 : INNER_WIDTH, innerHeight),
      ...bands.map((b, i) => drawBand(b, i, colors.get(b.group ?? "") ?? "#6b6b6b", x, innerHeight)),
      ...plot.series.map((s, i) => drawSeries(s, colors.get(s.group ?? s.name)!, path, x, y, drawable, plot.contour ? `url(#${plot.id}-clip)` : null, `${plot.id}-${i}`)),
      ...markers.map((m, i) => drawMarker(m, i, x, innerHeight)),
    ],
  );
  return element(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      width: PLOT_WIDTH,
      height,
      viewBox: `0 0 ${PLOT_WIDTH} ${height}`,
      role: "img",
      "aria-labelledby": `${plot.id}-title`,
      "font-family": "system-ui, -apple-system, 'Segoe UI', sans-serif",
      "font-size": 11,
    },
    [
      element("title", { id: `${plot.id}-title` }, plot.title),
      element("rect", { width: PLOT_WIDTH, height, fill: "#ffffff" }),
      element("text", { class: "plot-title", x: MARGIN.left, y: 20, "font-size": 13, "font-weight": 600 }, plot.title),
      area,
      legend(plot.series, colors, below ? [MARGIN.left, plotHeight + 4] : [MARGIN.left + INNER_WIDTH + 18, MARGIN.top + 8]),
      ...(plot.contour ? [colourLegend(plot.contour, below ? 0 : plot.series.length, innerHeight)] : []),
    ],
  );
}

// On a log axis d3 labels only some ticks (the others get ""); the grid follows the labels.
// `grid`: how far the grid lines reach across the plot (0: none).
function xAxis(axis: Axis, scale: Scale, grid: number, height: number): string {
  const ticks = ticksOf(axis, scale).map(({ value, label }) =>
    element("g", { class: "tick", "data-value": value, transform: `translate(${px(scale(value))},0)` }, [
      ...(label && grid ? [element("line", { y1: 0, y2: -grid, stroke: "#e6e6e6" })] : []),
      element("line", { y1: 0, y2: label ? 5 : 3, stroke: "#333333" }),
      ...(label ? [element("text", { y: 17, "text-anchor": "middle", fill: "#333333" }, label)] : []),
    ]),
  );
  return element("g", { class: "axis x-axis", transform: `translate(0,${height})` }, [
    ...ticks,
    element("line", { x1: 0, x2: INNER_WIDTH, stroke: "#333333" }),
    element("text", { class: "axis-label", x: INNER_WIDTH / 2, y: 36, "text-anchor": "middle", fill: "#333333" }, axisTitle(axis)),
  ]);
}

function yAxis(axis: Axis, scale: Scale, grid: number, height: number): string {
  const ticks = ticksOf(axis, scale).map(({ value, label }) =>
    element("g", { class: "tick", "data-value": value, transform: `translate(0,${px(scale(value))})` }, [
      ...(label && grid ? [element("line", { x1: 0, x2: grid, stroke: "#e6e6e6" })] : []),
      element("line", { x1: 0, x2: label ? -5 : -3, stroke: "#333333" }),
      ...(label ? [element("text", { x: -8, dy: "0.32em", "text-anchor": "end", fill: "#333333" }, label)] : []),
    ]),
  );
  return element("g", { class: "axis y-axis" }, [
    ...ticks,
    element("line", { y1: 0, y2: height, stroke: "#333333" }),
    element("text", { class: "axis-label", transform: `translate(${-MARGIN.left + 14},${height / 2}) rotate(-90)`, "text-anchor": "middle", fill: "#333333" }, axisTitle(axis)),
  ]);
}

function axisTitle(axis: Axis): string {
  return axis.scale === "log" ? `${axis.label} (log scale)` : axis.label;
}

// `key`: unique in the page, for the ids a series defines.
function drawSeries(series: Series, color: string, path: ReturnType<typeof line<Point>>, x: Scale, y: Scale, drawable: (p: Point) => boolean, clip: string | null, key: string): string {
  const points = series.points.filter(drawable);
  if (series.style === "trajectory") return drawTrajectory(series, points, color, path, x, y, clip, key);
  const dots = points.map((p) => element("circle", { cx: px(x(p[0])), cy: px(y(p[1])), r: series.style === "points" ? 3.5 : 2.5, fill: color }));
  if (series.style === "points") return element("g", { class: "series", "data-series": series.name, "clip-path": clip }, dots);
  const faint = series.style === "faint";
  const stroke = element("path", {
    d: path(series.points) ?? "",
    fill: "none",
    stroke: color,
    "stroke-width": faint ? 1 : 2,
    "stroke-opacity": faint ? 0.35 : null,
    "stroke-dasharray": series.dashed ? "6 4" : null,
    "stroke-linejoin": "round",
  });
  return element("g", { class: "series", "data-series": series.name, "clip-path": clip }, [stroke, ...(faint || points.length > MAX_DOTS ? [] : dots)]);
}

// A trajectory: its path over a white halo, a small dot at each of its vertices (an SVG marker, so
// a dot costs the file nothing), the start as a ring and the end as a larger dot, so direction and
// step sizes can be read.
// The path leaves out the points closer than MIN_TRAJECTORY_STEP pixels to the last one it kept
// (a slow crawl along a valley is thousands of steps a reader cannot tell apart, and each would
// cost the file a coordinate pair); it always keeps the first and the last. The CSV has them all.
function drawTrajectory(series: Series, points: readonly Point[], color: string, path: ReturnType<typeof line<Point>>, x: Scale, y: Scale, clip: string | null, key: string): string {
  const kept: Point[] = [];
  for (const [i, p] of points.entries()) {
    const previous = kept[kept.length - 1];
    if (!previous || i === points.length - 1 || Math.hypot(x(p[0]) - x(previous[0]), y(p[1]) - y(previous[1])) >= MIN_TRAJECTORY_STEP) kept.push(p);
  }
  const d = path(kept) ?? "";
  const ends = points.length ? [points[0]!, points[points.length - 1]!] : [];
  const dots = ends.map(([px0, py0], i) => {
    const [cx, cy] = [px(x(px0)), px(y(py0))];
    return i === 0 ? element("circle", { cx, cy, r: 4, fill: "#ffffff", stroke: color, "stroke-width": 1.5 }) : element("circle", { cx, cy, r: 4.5, fill: color, stroke: "#222222", "stroke-width": 1.2 });
  });
  const marker = `${key}-dot`;
  return element("g", { class: "series", "data-series": series.name, "clip-path": clip }, [
    element("path", { d, fill: "none", stroke: "#ffffff", "stroke-width": 3.4, "stroke-opacity": 0.7, "stroke-linejoin": "round" }),
    element("marker", { id: marker, viewBox: "-2 -2 4 4", markerWidth: 4, markerHeight: 4, markerUnits: "userSpaceOnUse" }, [element("circle", { r: 1.8, fill: color })]),
    element("path", { d, fill: "none", stroke: color, "stroke-width": 1.6, "stroke-linejoin": "round", "marker-mid": `url(#${marker})` }),
    ...dots,
  ]);
}

// The colour legend of a contour plot, right of the plot under the series' legend of `rows` rows.
function colourLegend(field: ContourField, rows: number, innerHeight: number): string {
  const top = MARGIN.top + 8 + rows * LEGEND_ROW + 28;
  return contourLegend(field, [MARGIN.left + INNER_WIDTH + 18, top], Math.max(120, innerHeight + MARGIN.top - top - 10));
}

// A band: a pale rectangle over the plot's height from `from` to `to`, its label at the bottom
// (rows apart for nested bands); drawn under the series.
function drawBand(band: Band, index: number, color: string, x: Scale, height: number): string {
  const [left, right] = [x(band.from), x(band.to)].sort((a, b) => a - b) as [number, number];
  return element("g", { class: "band", "data-from": band.from, "data-to": band.to }, [
    element("rect", { x: px(left), y: 0, width: px(Math.max(right - left, 1)), height, fill: color, "fill-opacity": 0.1, stroke: color, "stroke-opacity": 0.5, "stroke-dasharray": "3 3" }),
    element("text", { x: px(left + 3), y: height - 5 - index * 12, fill: color, "font-size": 10 }, band.label),
  ]);
}

// A vertical line across the plot with its label at the top, on the line's right, or on its left
// in the plot's right part (so it stays clear of the legend); labels of nearby markers are put on
// different rows.
function drawMarker(marker: Marker, index: number, x: Scale, height: number): string {
  const style = MARKER_STYLE[marker.kind];
  const at = x(marker.x);
  const left = at > INNER_WIDTH * 0.6;
  return element("g", { class: `marker marker-${marker.kind}`, "data-x": marker.x, transform: `translate(${px(at)},0)` }, [
    element("line", { y1: 0, y2: height, stroke: style.color, "stroke-dasharray": style.dash }),
    element("text", { x: left ? -3 : 3, y: 10 + (index % 3) * 12, "text-anchor": left ? "end" : null, fill: style.color, "font-size": 10 }, marker.label),
  ]);
}

function legend(series: readonly Series[], colors: Map<string, string>, [left, top]: [number, number]): string {
  const rows = series.map((s, i) => {
    const color = colors.get(s.group ?? s.name)!;
    const sample =
      s.style === "points"
        ? element("circle", { cx: 12, cy: 0, r: 3.5, fill: color })
        : element("line", {
            x1: 0,
            x2: 24,
            stroke: color,
            "stroke-width": s.style === "faint" ? 1 : 2,
            "stroke-opacity": s.style === "faint" ? 0.35 : null,
            "stroke-dasharray": s.dashed ? "6 4" : null,
          });
    return element("g", { class: "legend-entry", transform: `translate(0,${i * LEGEND_ROW})` }, [sample, element("text", { x: 30, dy: "0.32em", fill: "#333333" }, s.name)]);
  });
  return element("g", { class: "legend", transform: `translate(${left},${top})` }, rows);
}

// A number for a marker's label or a table: d3's shortest general form ("0.001", "1e-5").
export const shortNumber = format("~g");
