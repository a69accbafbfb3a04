// The plots of `nnc sweep`: for every swept key, the metric of each trial against the key's value
// (points, one colour per round; a log axis for a log-uniform key; a choice among words on a named
// axis), with the box each round sampled from shaded in the round's colour, so the narrowing is
// seen; and the metric of each trial in the order they were drawn, with the best so far as a line.

import type { Band, Plot, Point, Series } from "./plot.ts";

export interface SweepPlotDimension {
  key: string;
  log: boolean; // a log-uniform range: a log axis
  categories: string[] | null; // a choice among words: those words, in order, on the axis
  boxes: ({ low: number; high: number } | null)[]; // the box of each round (null for a choice)
}

export interface SweepPlotTrial {
  round: number;
  order: number; // 1, 2, … in the order the trials were drawn
  epochs: number | null; // with halving: the epochs of the rung it reached
  values: Record<string, number | string>;
  metric: number;
}

export interface SweepPlotInput {
  metric: string; // `val_loss`
  direction: "min" | "max";
  dimensions: SweepPlotDimension[];
  trials: SweepPlotTrial[]; // the finished trials, each at the furthest rung it reached
}

export function sweepPlotId(metric: string, key: string): string {
  return `${metric}-${key.replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

export function sweepPlotIds(metric: string, keys: readonly string[]): string[] {
  return [...keys.map((key) => sweepPlotId(metric, key)), `${metric}-trials`];
}

export function sweepPlots(input: SweepPlotInput): Plot[] {
  const accuracy = input.metric.endsWith("accuracy");
  const positive = input.trials.every((t) => t.metric > 0);
  const log = !accuracy && positive && input.trials.length > 0;
  // Points are not lines: on a linear axis a margin keeps the best and the worst off its edges.
  const metrics = input.trials.map((t) => t.metric);
  const [low, high] = [Math.min(...metrics), Math.max(...metrics)];
  const margin = (high - low) / 20 || Math.abs(high) / 20 || 0.05;
  const y = { label: input.metric, scale: log ? ("log" as const) : ("linear" as const), format: accuracy ? "~%" : "~g", ...(log || !metrics.length ? {} : { domain: [low - margin, high + margin] as const }) };
  const groups = (trial: SweepPlotTrial) => `round ${trial.round}`;
  const seriesName = (trial: SweepPlotTrial) => (trial.epochs === null ? groups(trial) : `round ${trial.round} · ${trial.epochs} epochs`);
  const byName = <T>(items: readonly T[], name: (item: T) => string) => {
    const map = new Map<string, T[]>();
    for (const item of items) map.set(name(item), [...(map.get(name(item)) ?? []), item]);
    return map;
  };
  const inOrder = [...input.trials].sort((a, b) => a.order - b.order);
  const points = (x: (trial: SweepPlotTrial) => number): Series[] =>
    [...byName(inOrder, seriesName)].map(([name, trials]) => ({ name, group: groups(trials[0]!), style: "points" as const, points: trials.map((t): Point => [x(t), t.metric]) }));

  const plots: Plot[] = input.dimensions.map((dimension) => {
    const x = (trial: SweepPlotTrial) => {
      const value = trial.values[dimension.key]!;
      return dimension.categories ? dimension.categories.indexOf(String(value)) : Number(value);
    };
    const bands: Band[] = dimension.boxes.flatMap((box, r) => (box ? [{ from: box.low, to: box.high, label: `round ${r + 1}`, group: `round ${r + 1}` }] : []));
    return {
      id: sweepPlotId(input.metric, dimension.key),
      title: `${input.metric} against ${dimension.key}${bands.length > 1 ? " (shaded: the box each round sampled)" : ""}`,
      x: { label: dimension.key, scale: dimension.log ? "log" : "linear", format: dimension.log ? "~e" : "~g", ...(dimension.categories ? { categories: dimension.categories } : {}) },
      y,
      series: points(x),
      bands,
    };
  });

  let best: number | null = null;
  const bestSoFar = inOrder.map((t): Point => {
    best = best === null || (input.direction === "min" ? t.metric < best : t.metric > best) ? t.metric : best;
    return [t.order, best];
  });
  plots.push({
    id: `${input.metric}-trials`,
    title: `${input.metric} of each trial, in the order they were drawn`,
    x: { label: "trial", integer: true },
    y,
    series: [...points((t) => t.order), { name: "best so far", points: bestSoFar }],
  });
  return plots;
}
