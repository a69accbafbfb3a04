// A contour plot draws its field's numbers: every vertex of a level's band that lies inside the
// grid is where the field, interpolated linearly along a cell edge, equals the level, so on x² − y²
// (and on the bowl) the closed form there is within the interpolation's error, h²/4 for a grid
// step h, of the level. The levels are round values inside the range (log-spaced for a positive
// field spanning decades), one band more than levels is filled, and the CSV holds the grid.

import { scaleLinear } from "d3-scale";
import { describe, expect, it } from "vitest";
import { contourLevels, type ContourField } from "../../cli/report/contour.ts";
import { plotCsv } from "../../cli/report/plot-csv.ts";
import { renderPlot, type Plot } from "../../cli/report/plot.ts";
import { gridValues } from "../../runtime/analysis/landscape.ts";

function field(f: (x: number, y: number) => number, range: [number, number], n: number, levels?: number[]): ContourField {
  const x = gridValues(range[0], range[1], n);
  const y = gridValues(range[0], range[1], n);
  return { label: "loss", x, y, values: y.flatMap((yj) => x.map((xi) => f(xi, yj))), levels };
}

function plotOf(contour: ContourField): Plot {
  return { id: "c", title: "c", x: { label: "x", domain: [contour.x[0]!, contour.x.at(-1)!] }, y: { label: "y", domain: [contour.y[0]!, contour.y.at(-1)!] }, series: [], contour };
}

// Each band's level and its vertices in data coordinates, read back from the SVG.
function bands(svg: string): { level: number; vertices: [number, number][] }[] {
  const area = /<g class="plot-area"[^>]*>/.exec(svg)![0];
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(area)![1]!;
  const [x0, x1] = attr("data-x-domain").split(" ").map(Number) as [number, number];
  const [y0, y1] = attr("data-y-domain").split(" ").map(Number) as [number, number];
  const x = scaleLinear().domain([x0, x1]).range([0, Number(attr("data-width"))]);
  const y = scaleLinear().domain([y0, y1]).range([Number(attr("data-height")), 0]);
  return [...svg.matchAll(/<path class="contour-band" data-level="([^"]+)" d="([^"]*)"/g)].map((m) => ({
    level: Number(m[1]),
    vertices: [...m[2]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((v) => [x.invert(Number(v[1])), y.invert(Number(v[2]))] as [number, number]),
  }));
}

function expectOnLevels(f: (x: number, y: number) => number, contour: ContourField, slope: number) {
  const svg = renderPlot(plotOf(contour));
  const drawn = bands(svg);
  const levels = contourLevels(contour);
  expect(drawn.map((b) => b.level)).toEqual(levels);
  expect(svg).toContain(`data-levels="${levels.join(" ")}"`);
  const [lo, hi] = [contour.x[0]!, contour.x.at(-1)!];
  const h = (hi - lo) / (contour.x.length - 1);
  // Linear interpolation of a quadratic along an edge is off by at most h²/4 (times the second
  // derivative's half); a hundredth of a pixel is about (hi − lo)/50,000 in data units.
  const tolerance = (slope * h * h) / 4 + 2 * slope * Math.abs(hi) * ((hi - lo) / 40_000);
  let inside = 0;
  for (const band of drawn) {
    for (const [vx, vy] of band.vertices) {
      const border = Math.min(vx - lo, hi - vx, vy - lo, hi - vy) < 1e-3;
      if (border) continue;
      inside++;
      expect(Math.abs(f(vx, vy) - band.level), `level ${band.level} at (${vx}, ${vy})`).toBeLessThanOrEqual(tolerance);
    }
  }
  expect(inside).toBeGreaterThan(50);
}

describe("contour plots", () => {
  it("puts every level of x² − y² where the grid's loss equals it", () => {
    const saddle = (x: number, y: number) => x * x - y * y;
    const contour = field(saddle, [-1, 1], 21);
    expect(contourLevels(contour)).toEqual([-0.8, -0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8, 1]);
    expectOnLevels(saddle, contour, 1);
  });

  it("puts every level of a bowl where the loss equals it, on log-spaced levels", () => {
    const bowl = (x: number, y: number) => 0.5 * (x * x + 50 * y * y);
    const contour = field(bowl, [-2, 2], 41);
    const levels = contourLevels(contour);
    expect(levels[0]).toBe(0.01); // above the smallest positive value, 0.005
    expect(levels.at(-1)).toBe(100);
    expect(levels.every((v) => /^[125]e[-+]\d+$/.test(v.toExponential()))).toBe(true);
    expectOnLevels(bowl, contour, 50);
  });

  it("fills one band more than it has levels, the lowest under the whole grid, and keeps the grid in its CSV", () => {
    const contour = field((x, y) => x + y, [0, 1], 3, [0.5, 1.5]);
    const svg = renderPlot(plotOf(contour));
    expect(svg.match(/class="contour-band"/g)).toHaveLength(3);
    expect(svg).toContain("<clipPath");
    const csv = plotCsv(plotOf(contour)).trim().split("\n");
    expect(csv[0]).toBe("series,x,y,label,loss");
    expect(csv.filter((row) => row.startsWith("grid,"))).toEqual(["grid,0,0,,0", "grid,0.5,0,,0.5", "grid,1,0,,1", "grid,0,0.5,,0.5", "grid,0.5,0.5,,1", "grid,1,0.5,,1.5", "grid,0,1,,1", "grid,0.5,1,,1.5", "grid,1,1,,2"]);
    expect(csv.filter((row) => row.startsWith("level,"))).toEqual(["level,,,,0.5", "level,,,,1.5"]);
  });
});
