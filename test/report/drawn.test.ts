// Every number a run's plots draw is the history's: the scales are rebuilt from the plot area's data
// attributes (kind, domain, size), every coordinate of every series path and dot is read back from
// the SVG, and each must be where the history's value falls (to the hundredth of a pixel the SVG
// keeps), point for point and in order. The expected values are taken from the history here, not
// from the code that made the plots. Tick labels must name the value at their position.

import { scaleLinear, scaleLog } from "d3-scale";
import { describe, expect, it } from "vitest";
import { renderPlot } from "../../cli/report/plot.ts";
import type { EventRecord, History } from "../../runtime/train/history.ts";
import { reportCases } from "./cases.ts";

interface Drawn {
  x: (v: number) => number;
  y: (v: number) => number;
  series: Map<string, { path: [number, number][]; dots: [number, number][] }>;
  markers: { x: number; at: number }[];
  bands: { from: number; to: number; left: number; width: number }[];
  ticks: { axis: "x" | "y"; value: number; at: number; label: string | null }[];
}

function attribute(tag: string, name: string): string | null {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? null;
}

function scaleOf(kind: string, domain: string, range: [number, number]) {
  const [lo, hi] = domain.split(" ").map(Number) as [number, number];
  return (kind === "log" ? scaleLog() : scaleLinear()).domain([lo, hi]).range(range);
}

function unescape(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
}

// Reads a plot back from its SVG text.
function readPlot(svg: string): Drawn {
  const area = /<g class="plot-area"[^>]*>/.exec(svg)![0];
  const width = Number(attribute(area, "data-width"));
  const height = Number(attribute(area, "data-height"));
  const x = scaleOf(attribute(area, "data-x-scale")!, attribute(area, "data-x-domain")!, [0, width]);
  const y = scaleOf(attribute(area, "data-y-scale")!, attribute(area, "data-y-domain")!, [height, 0]);
  const series = new Map<string, { path: [number, number][]; dots: [number, number][] }>();
  for (const chunk of svg.split('<g class="series"').slice(1)) {
    const body = chunk.slice(0, chunk.search(/<g class="(?!series)|<\/svg>/));
    const name = unescape(attribute(chunk, "data-series")!);
    const d = /<path d="([^"]*)"/.exec(body)?.[1] ?? "";
    const path = [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
    const dots = [...body.matchAll(/<circle cx="([^"]+)" cy="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
    series.set(name, { path, dots });
  }
  const markers = [...svg.matchAll(/<g class="marker[^"]*" data-x="([^"]+)" transform="translate\(([^,]+),0\)">/g)].map((m) => ({ x: Number(m[1]), at: Number(m[2]) }));
  const bands = [...svg.matchAll(/<g class="band" data-from="([^"]+)" data-to="([^"]+)">\s*<rect x="([^"]+)" y="0" width="([^"]+)"/g)].map((m) => ({
    from: Number(m[1]),
    to: Number(m[2]),
    left: Number(m[3]),
    width: Number(m[4]),
  }));
  const ticks: Drawn["ticks"] = [];
  const xAxis = svg.slice(svg.indexOf('<g class="axis x-axis"'), svg.indexOf('<g class="axis y-axis"'));
  const yAxis = svg.slice(svg.indexOf('<g class="axis y-axis"'), svg.indexOf('<g class="series"'));
  for (const [axis, text, pattern] of [
    ["x", xAxis, /<g class="tick" data-value="([^"]+)" transform="translate\(([^,]+),0\)">([\s\S]*?)<\/g>/g],
    ["y", yAxis, /<g class="tick" data-value="([^"]+)" transform="translate\(0,([^)]+)\)">([\s\S]*?)<\/g>/g],
  ] as const) {
    for (const m of text.matchAll(pattern)) {
      ticks.push({ axis, value: Number(m[1]), at: Number(m[2]), label: /<text[^>]*>([^<]*)<\/text>/.exec(m[3]!)?.[1] ?? null });
    }
  }
  return { x, y, series, markers, bands, ticks };
}

// Where the SVG must put a value: the scale's pixel, rounded to the hundredth as the SVG writes it.
function expectAt(drawn: number, scale: (v: number) => number, value: number, what: string) {
  expect(Math.abs(drawn - Math.round(scale(value) * 100) / 100), what).toBeLessThanOrEqual(0.0051);
}

function expectPoints(drawn: [number, number][], plot: Drawn, values: [number, number][], what: string) {
  expect(drawn.length, `${what}: points drawn`).toBe(values.length);
  values.forEach(([vx, vy], i) => {
    expectAt(drawn[i]![0], plot.x, vx, `${what}, point ${i}: x`);
    expectAt(drawn[i]![1], plot.y, vy, `${what}, point ${i}: y`);
  });
}

// What each plot of a run must draw, from the history alone: series by name, the markers' x.
function expectedFromHistory(history: History): Record<string, { series: Record<string, [number, number][]>; markers: number[] }> {
  const perEpoch = history.steps_per_epoch;
  const column = (name: string) => history.epochs.filter((e) => (e as Record<string, unknown>)[name] !== undefined).map((e) => [e.epoch, (e as unknown as Record<string, number>)[name]!] as [number, number]);
  const epochX = (e: EventRecord) => (e.event === "phase" ? (e.step - 1) / perEpoch : e.epoch);
  const epochMarkers = history.events.map(epochX);
  const plots: Record<string, { series: Record<string, [number, number][]>; markers: number[] }> = {
    loss: {
      series: {
        "train (epoch mean)": column("train_loss"),
        ...(history.columns.includes("val_loss") ? { validation: column("val_loss") } : {}),
        "train (each step)": history.steps.map((s) => [s.step / perEpoch, s.loss]),
      },
      markers: epochMarkers,
    },
    lr: { series: { "learning rate": history.steps.map((s) => [s.step, s.lr]) }, markers: history.events.map((e) => e.step) },
  };
  for (const metric of ["accuracy", "mse"]) {
    if (!history.columns.includes(`train_${metric}`)) continue;
    plots[metric] = { series: { "train (epoch mean)": column(`train_${metric}`), ...(history.columns.includes(`val_${metric}`) ? { validation: column(`val_${metric}`) } : {}) }, markers: epochMarkers };
  }
  const layers = history.columns.filter((c) => c.startsWith("grad_norm."));
  if (layers.length) plots["grad-norms"] = { series: Object.fromEntries(layers.map((c) => [c.slice("grad_norm.".length), column(c)])), markers: epochMarkers };
  return plots;
}

function tickValue(label: string): number {
  return label.endsWith("%") ? Number(label.slice(0, -1).replace("−", "-")) / 100 : Number(label.replace("−", "-"));
}

describe("the numbers drawn are the history's", () => {
  for (const c of reportCases()) {
    it(c.name, () => {
      const expected = c.history ? expectedFromHistory(c.history) : null;
      if (expected) expect(c.plots.map((p) => p.id).sort()).toEqual(Object.keys(expected).sort());
      for (const plot of c.plots) {
        const drawn = readPlot(renderPlot(plot));
        // From the history for a run's plots; from the plot's own data for the others.
        const want = expected?.[plot.id] ?? {
          series: Object.fromEntries(plot.series.map((s) => [s.name, s.points.map((p) => [p[0], p[1]] as [number, number])])),
          markers: (plot.markers ?? []).map((m) => m.x),
        };
        expect([...drawn.series.keys()], plot.id).toEqual(Object.keys(want.series));
        for (const [name, values] of Object.entries(want.series)) {
          const { path, dots } = drawn.series.get(name)!;
          const style = plot.series.find((s) => s.name === name)!.style;
          if (style === "points") expectPoints(dots, drawn, values, `${plot.id}/${name} dots`);
          else expectPoints(path, drawn, values, `${plot.id}/${name} path`);
          // A trajectory's dots are its start and its end (the others are markers on the path).
          if (style === "trajectory") expectPoints(dots, drawn, [values[0]!, values[values.length - 1]!], `${plot.id}/${name} ends`);
          else if (style !== "points" && dots.length) expectPoints(dots, drawn, values, `${plot.id}/${name} dots`);
        }
        expect(drawn.markers.map((m) => m.x), `${plot.id} markers`).toEqual(want.markers);
        for (const marker of drawn.markers) expectAt(marker.at, drawn.x, marker.x, `${plot.id} marker at ${marker.x}`);
        expect(drawn.ticks.filter((t) => t.label).length, `${plot.id}: labelled ticks`).toBeGreaterThanOrEqual(4);
        // A sweep's boxes: each band spans its range, from its lower edge to its upper one.
        expect(drawn.bands.map((b) => [b.from, b.to]), `${plot.id} bands`).toEqual((plot.bands ?? []).map((b) => [b.from, b.to]));
        for (const band of drawn.bands) {
          expectAt(band.left, drawn.x, band.from, `${plot.id} band from ${band.from}`);
          expect(Math.abs(band.left + band.width - drawn.x(band.to)), `${plot.id} band to ${band.to}`).toBeLessThanOrEqual(0.011);
        }
        for (const tick of drawn.ticks) {
          expectAt(tick.at, tick.axis === "x" ? drawn.x : drawn.y, tick.value, `${plot.id} ${tick.axis} tick ${tick.value}`);
          // A named axis (a sweep's choice among words) labels position k with the k-th name.
          const categories = tick.axis === "x" ? plot.x.categories : plot.y.categories;
          if (tick.label && categories) expect(tick.label, `${plot.id} ${tick.axis} tick ${tick.value}`).toBe(categories[tick.value]);
          else if (tick.label) expect(tickValue(tick.label), `${plot.id} ${tick.axis} tick label ${tick.label}`).toBeCloseTo(tick.value, 12);
        }
      }
    });
  }
});
