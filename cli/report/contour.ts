// A scalar field on a grid (the loss over a plane of the weights) drawn under a plot's series as
// filled contour bands with a colour legend. The iso-bands are d3-contour's (marching squares with
// linear interpolation along the cell edges, rings stitched and holes assigned); this file picks
// the levels, maps the rings from grid to data coordinates, and colours the bands.
//
// d3-contour puts value[i + j·nx] at the grid point (i + ½, j + ½) of [0, nx] × [0, ny]; a ring's
// vertex g is mapped back by linear interpolation between the grid's coordinates, clamped to the
// grid (the rings' outer edges run half a cell outside it), so every vertex inside the grid lies
// on a cell edge where the linearly interpolated value equals the level.

import { contours } from "d3-contour";
import { format } from "d3-format";
import { scaleLinear } from "d3-scale";
import { element, px } from "./svg.ts";

export interface ContourField {
  label: string; // what the values are: the colour legend's title and the CSV's column
  x: readonly number[]; // the grid's coordinates across, ascending (data units of the x axis)
  y: readonly number[]; // up, ascending
  values: readonly number[]; // values[j * x.length + i] at (x[i], y[j])
  // How the levels are spaced; default: log when no value is negative and the positive ones span
  // more than two decades (a valley such as Rosenbrock's is invisible on linear levels; a zero, at
  // a minimum, lies in the lowest band), else linear.
  scale?: "linear" | "log";
  levels?: readonly number[]; // default: about 12 round values inside the range
}

// Viridis at nine stops: ordered in lightness, readable in grey and by colour-blind eyes.
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
const LEVELS = 12;

export function contourScale(field: ContourField): "linear" | "log" {
  if (field.scale) return field.scale;
  const range = logRange(field);
  return range !== null && range[1] / range[0] > 100 ? "log" : "linear";
}

// The range of the positive values when none is negative: the smallest positive one (but at least
// 1e-9 of the largest) to the largest.
function logRange(field: ContourField): [number, number] | null {
  const finite = field.values.filter(Number.isFinite);
  if (finite.length === 0 || finite.some((v) => v < 0)) return null;
  const hi = Math.max(...finite);
  const positive = finite.filter((v) => v > 0);
  if (positive.length === 0) return null;
  return [Math.max(Math.min(...positive), hi * 1e-9), hi];
}

// The levels: the field's own, else round values strictly inside its range: d3's linear ticks, or
// on a log scale m × 10^k with fewer mantissas m the more decades the values span.
export function contourLevels(field: ContourField): number[] {
  if (field.levels) return [...field.levels].sort((a, b) => a - b);
  const finite = field.values.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (lo === hi) return [];
  if (contourScale(field) === "linear") return scaleLinear().domain([lo, hi]).ticks(LEVELS).filter((v) => v > lo && v <= hi);
  const [from, to] = logRange(field)!;
  const decades = Math.log10(to / from);
  const mantissas = decades <= 2 ? [1, 2, 3, 5, 7] : decades <= 5 ? [1, 2, 5] : decades <= 10 ? [1, 3] : [1];
  const levels: number[] = [];
  for (let k = Math.floor(Math.log10(from)); k <= Math.ceil(Math.log10(to)); k++) {
    for (const m of mantissas) levels.push(Number(`${m}e${k}`));
  }
  return levels.filter((v) => v > lo && v >= from && v <= hi);
}

// The colour of band k of `bands` (band 0 lies below the first level, the last above the last).
export function bandColor(k: number, bands: number): string {
  const t = bands <= 1 ? 0 : k / (bands - 1);
  const stops = VIRIDIS.map((_, i) => i / (VIRIDIS.length - 1));
  return scaleLinear<string>().domain(stops).range(VIRIDIS)(t);
}

type Scale = (value: number) => number;

// The filled bands, under the plot's series: the lowest band as a rectangle over the whole grid,
// then for each level the region where the value is at least that level.
export function drawContour(field: ContourField, x: Scale, y: Scale): string {
  const nx = field.x.length;
  const ny = field.y.length;
  const levels = contourLevels(field);
  const generator = contours().size([nx, ny]).thresholds(levels);
  // d3-contour reads NaN as missing; ±Infinity it compares as numbers, which is what a loss that
  // overflowed means (higher than every level).
  const polygons = generator(field.values.map((v) => (Number.isNaN(v) ? -Infinity : v)));
  const toX = gridToData(field.x);
  const toY = gridToData(field.y);
  const ring = (points: number[][]) => points.map(([gx, gy], i) => `${i === 0 ? "M" : "L"}${px(x(toX(gx!)))},${px(y(toY(gy!)))}`).join("") + "Z";
  const [x0, x1] = [x(field.x[0]!), x(field.x[nx - 1]!)];
  const [y0, y1] = [y(field.y[0]!), y(field.y[ny - 1]!)];
  const bands = levels.length + 1;
  return element(
    "g",
    { class: "contour", "data-levels": levels.join(" "), "data-scale": contourScale(field), "data-grid": `${nx} ${ny}` },
    [
      element("rect", { class: "contour-band", "data-level": "-Infinity", x: px(Math.min(x0, x1)), y: px(Math.min(y0, y1)), width: px(Math.abs(x1 - x0)), height: px(Math.abs(y1 - y0)), fill: bandColor(0, bands) }),
      ...polygons.map((polygon, k) =>
        element("path", {
          class: "contour-band",
          "data-level": polygon.value,
          d: polygon.coordinates.map((rings) => rings.map(ring).join("")).join(""),
          fill: bandColor(k + 1, bands),
          stroke: "#ffffff",
          "stroke-width": 0.4,
          "stroke-opacity": 0.45,
        }),
      ),
    ],
  );
}

// The colour legend: a vertical bar of the bands from low (bottom) to high, each level labelled.
export function contourLegend(field: ContourField, [left, top]: [number, number], height: number): string {
  const levels = contourLevels(field);
  const bands = levels.length + 1;
  const step = height / bands;
  const label = format("~g");
  const every = Math.ceil(levels.length / Math.max(1, Math.floor(height / 13)));
  return element("g", { class: "contour-legend", transform: `translate(${left},${top})` }, [
    element("text", { x: 0, y: -8, fill: "#333333" }, field.label),
    ...Array.from({ length: bands }, (_, k) => element("rect", { x: 0, y: px(height - (k + 1) * step), width: 14, height: px(step + 0.5), fill: bandColor(k, bands) })),
    ...levels.flatMap((level, k) =>
      k % every === 0 ? [element("text", { x: 19, y: px(height - (k + 1) * step), dy: "0.32em", fill: "#333333", "font-size": 10 }, label(level))] : [],
    ),
  ]);
}

// Grid coordinate (d3-contour's, value i at i + ½) → data coordinate, clamped to the grid.
function gridToData(coordinates: readonly number[]): (g: number) => number {
  const last = coordinates.length - 1;
  return (g) => {
    const at = Math.min(Math.max(g - 0.5, 0), last);
    const i = Math.min(Math.floor(at), Math.max(last - 1, 0));
    const fraction = at - i;
    return last === 0 ? coordinates[0]! : coordinates[i]! + fraction * (coordinates[i + 1]! - coordinates[i]!);
  };
}
