// Golden plots: for fixed data (test/report/cases), each plot's SVG (axes, ticks and their labels,
// series, legend, markers) and its CSV must equal the expected files. Run `npm run update-snapshots`
// or `UPDATE_SNAPSHOTS=1 npx vitest run test/report` to rewrite them after an intended change, and
// look at the diff (and at the SVGs).

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { standaloneSvg } from "../../cli/report/files.ts";
import { renderPlot } from "../../cli/report/plot.ts";
import { plotCsv } from "../../cli/report/plot-csv.ts";
import { reportCases } from "./cases.ts";

const update = process.env.UPDATE_SNAPSHOTS === "1";

function golden(path: string, actual: string): void {
  if (update || !existsSync(path)) {
    writeFileSync(path, actual);
    if (!update) throw new Error(`${path}: no expected file yet; wrote one, check it and run again`);
    return;
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("golden plots", () => {
  for (const c of reportCases()) {
    it(c.name, () => {
      for (const plot of c.plots) {
        golden(join(c.dir, `${plot.id}.svg`), standaloneSvg(renderPlot(plot)));
        golden(join(c.dir, `${plot.id}.csv`), plotCsv(plot));
      }
      // No expected file is left over from a plot the case no longer has.
      const expected = readdirSync(c.dir).filter((f) => /\.(svg|csv)$/.test(f));
      expect(expected.sort()).toEqual(c.plots.flatMap((p) => [`${p.id}.csv`, `${p.id}.svg`]).sort());
    });
  }

  it("a run's plots: loss (log scale), the metric, the learning rate, gradient norms when recorded, and the markers", () => {
    const cases = new Map(reportCases().map((c) => [c.name, c]));
    const warmup = cases.get("warmup-early-stop")!;
    expect(warmup.plots.map((p) => p.id)).toEqual(["loss", "accuracy", "lr"]);
    const loss = renderPlot(warmup.plots[0]!);
    expect(loss).toContain('data-y-scale="log"');
    expect(loss).toContain("loss (log scale)");
    for (const series of ["train (epoch mean)", "validation", "train (each step)"]) expect(loss).toContain(`data-series="${series}"`);
    for (const marker of ["warmup", "cosine", "early stop (best: 1)", "restored epoch 1"]) expect(loss).toContain(`>${marker}</text>`);

    const plateau = cases.get("plateau-regression")!;
    expect(plateau.plots.map((p) => p.id)).toEqual(["loss", "mse", "lr", "grad-norms"]);
    const norms = renderPlot(plateau.plots[3]!);
    for (const layer of ["h", "pred"]) expect(norms).toContain(`data-series="${layer}"`);
    expect(renderPlot(plateau.plots[2]!)).toContain(">lr → 0.025</text>");
  });
});
