// Analysis of a .nn source at its initial weights (or given ones), as `nnc analyze` does it.

import { compile } from "../../compiler/index.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { analyzeCurvature, DEFAULT_ANALYSIS, type AnalysisOptions } from "../../runtime/analysis/analyze.ts";
import { openCurvatureSession, type CurvatureSession } from "../../runtime/analysis/session.ts";

export async function openSource(
  text: string,
  backend: "cpu" | "webgpu" = "cpu",
  chunkSize?: number,
): Promise<{ session: CurvatureSession; theta: Float64Array; compiled: ReturnType<typeof compile>; data: ReturnType<typeof prepareData> | null }> {
  const dir = ".";
  const compiled = compile(text, "test.nn", { baseDir: dir });
  const { model, config, evalGraph } = compiled;
  if (!model || !config || !evalGraph) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
  const data = model.objective ? null : prepareData(config, { kind: model.targets[0]!.kind, classes: model.targets[0]!.classes, width: Number(model.targets[0]!.shape.at(-1)) || 1 }, dir);
  const params = initializeParams(evalGraph.params, config.seed);
  const state = Object.fromEntries(evalGraph.state.map((s, i) => [s.name, initializeState(evalGraph.state)[i]!]));
  const session = await openCurvatureSession({ evalGraph, dataset: data?.train ?? null, reduction: model.loss?.reduction ?? "mean", state, chunkSize }, backend);
  const theta = new Float64Array(params.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of params) {
    theta.set(p, offset);
    offset += p.length;
  }
  return { session, theta, compiled, data };
}

export async function analyzeSource(text: string, options: Partial<AnalysisOptions> = {}, backend: "cpu" | "webgpu" = "cpu") {
  const { session, theta } = await openSource(text, backend);
  try {
    return await analyzeCurvature(session.engine, theta, { ...DEFAULT_ANALYSIS, ...options });
  } finally {
    session.dispose();
  }
}

// A model without data whose loss is `loss`, over `param` declarations.
export function objective(params: string, loss: string, train = "optimizer sgd(lr: 0.1)"): string {
  return `model m {\n${params}\n  loss ${loss}\n}\ntrain m {\n  data none\n  ${train}\n}\n`;
}
