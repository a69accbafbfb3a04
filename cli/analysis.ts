// The curvature analysis as the command line runs it, for `nnc analyze` and `nnc run --analyze`:
// its options, the loss it is about (which examples, evaluation mode), the engine on the chosen
// backend (runtime/analysis/session.ts), and the report in words or as JSON.

import type { LoadedModel } from "./load.ts";
import type { PreparedData } from "../runtime/train/prepare.ts";
import { subset, type Dataset } from "../runtime/data/dataset.ts";
import type { BackendRequest } from "../runtime/session.ts";
import { analyzeCurvature, DEFAULT_ANALYSIS, type AnalysisOptions, type AnalysisReport } from "../runtime/analysis/analyze.ts";
import type { CurvatureEngine } from "../runtime/analysis/engine.ts";
import { type CurvatureSession, openCurvatureSession } from "../runtime/analysis/session.ts";
import { integerOption } from "./options.ts";
import { concatFlat } from "../runtime/train/backend.ts";
import { UserError } from "./user-error.ts";

export interface AnalysisSettings extends AnalysisOptions {
  examples: number | "all"; // the most training examples the loss is summed over
}

export const DEFAULT_EXAMPLES = 1000;

export const ANALYSIS_OPTIONS = {
  examples: { type: "string" },
  "lanczos-steps": { type: "string" },
  "trace-samples": { type: "string" },
  "density-probes": { type: "string" },
  "density-steps": { type: "string" },
  "exact-limit": { type: "string" },
  "grad-tol": { type: "string" },
  "eig-tol": { type: "string" },
  "probe-seed": { type: "string" },
} as const;

export const ANALYSIS_HELP = `  --examples N|all     sum the training loss over the first N training examples (default ${DEFAULT_EXAMPLES})
  --lanczos-steps K    Lanczos steps for the extreme eigenvalues (default ${DEFAULT_ANALYSIS.lanczosSteps}; fewer when converged)
  --trace-samples M    Hutchinson probes for the trace (default ${DEFAULT_ANALYSIS.traceSamples})
  --density-probes P   random starts of stochastic Lanczos quadrature (default ${DEFAULT_ANALYSIS.densityProbes})
  --density-steps K    Lanczos steps per start (default ${DEFAULT_ANALYSIS.densitySteps})
  --exact-limit N      the exact Hessian for models of up to N parameters (default ${DEFAULT_ANALYSIS.exactLimit}; 0: never)
  --grad-tol G         a critical point has ‖∇L‖ ≤ G (default ${DEFAULT_ANALYSIS.tolerances.gradient})
  --eig-tol R          an eigenvalue counts as zero when |λ| ≤ R·max|λ| (default ${DEFAULT_ANALYSIS.tolerances.eigenvalue})
  --probe-seed S       the seed of the random probes (default 0)`;

type Values = Partial<Record<keyof typeof ANALYSIS_OPTIONS, string>>;

export function analysisSettings(command: string, values: Values, escape: AnalysisOptions["escape"]): AnalysisSettings {
  const positive = (name: keyof typeof ANALYSIS_OPTIONS, fallback: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^[0-9.eE+-]+$/.test(text) || !Number.isFinite(value) || value <= 0) throw new UserError(`nnc ${command}: --${name} needs a positive number, but got \`${text}\``);
    return value;
  };
  const examples = values.examples === "all" ? "all" : (integerOption(command, "examples", values.examples, 1) ?? DEFAULT_EXAMPLES);
  return {
    examples,
    lanczosSteps: integerOption(command, "lanczos-steps", values["lanczos-steps"], 1) ?? DEFAULT_ANALYSIS.lanczosSteps,
    residualTolerance: DEFAULT_ANALYSIS.residualTolerance,
    traceSamples: integerOption(command, "trace-samples", values["trace-samples"], 2) ?? DEFAULT_ANALYSIS.traceSamples,
    densityProbes: integerOption(command, "density-probes", values["density-probes"], 1) ?? DEFAULT_ANALYSIS.densityProbes,
    densitySteps: integerOption(command, "density-steps", values["density-steps"], 1) ?? DEFAULT_ANALYSIS.densitySteps,
    exactLimit: integerOption(command, "exact-limit", values["exact-limit"], 0) ?? DEFAULT_ANALYSIS.exactLimit,
    tolerances: { gradient: positive("grad-tol", DEFAULT_ANALYSIS.tolerances.gradient), eigenvalue: positive("eig-tol", DEFAULT_ANALYSIS.tolerances.eigenvalue) },
    seed: integerOption(command, "probe-seed", values["probe-seed"], 0, 4294967295) ?? DEFAULT_ANALYSIS.seed,
    escape,
  };
}

export interface AnalysisRun {
  report: AnalysisReport;
  backend: string; // the first line: which backend and why
  lossLine: string; // what loss, on which examples, in which mode
  escaped: Float32Array[] | null; // the parameters after the escape step, when one was taken
}

// The engine that computes the model's training loss (and its derivatives) at any weights, on the
// first `examples` training examples, in evaluation mode; with the lines saying which backend and
// which loss. The caller disposes of the session.
export async function openLossSession(input: {
  loaded: LoadedModel;
  data: PreparedData;
  state: Record<string, Float32Array>;
  request: BackendRequest;
  examples: number | "all";
}): Promise<{ session: CurvatureSession; backend: string; lossLine: string }> {
  const { loaded, data } = input;
  const model = loaded.model;
  const dataset = model.objective ? null : firstExamples(data.train, input.examples);
  const session = await openCurvatureSession({ evalGraph: loaded.evalGraph, dataset, reduction: model.loss?.reduction ?? "mean", state: input.state }, input.request);
  return { session, backend: `backend: ${session.engine.kind} (${session.description}; ${session.reason})`, lossLine: describeLoss(loaded, data.train, dataset) };
}

// The parameters (the graph's order) as one flat f64 vector.
export function flatParams(params: readonly Float32Array[]): Float64Array {
  return Float64Array.from(concatFlat(params));
}

// Analyzes the loaded model at `params` (the graph's parameter order) with the batch-norm
// statistics `state` (by name). `hooks.opened` hears the backend line as soon as the engine is
// ready; `hooks.then` runs on the same engine after the analysis (the landscape), before the
// session closes.
export async function runAnalysis(
  input: {
    loaded: LoadedModel;
    data: PreparedData;
    params: Float32Array[];
    state: Record<string, Float32Array>;
    request: BackendRequest;
    settings: AnalysisSettings;
  },
  hooks: { opened?: (backend: string) => void; then?: (engine: CurvatureEngine, theta: Float64Array, report: AnalysisReport) => Promise<void> } = {},
): Promise<AnalysisRun> {
  const { settings } = input;
  const { session, backend, lossLine } = await openLossSession({ ...input, examples: settings.examples });
  try {
    hooks.opened?.(backend);
    const theta = flatParams(input.params);
    const report = await analyzeCurvature(session.engine, theta, settings);
    let escaped: Float32Array[] | null = null;
    if (report.escape?.weights) {
      const flat = report.escape.weights;
      let at = 0;
      escaped = input.params.map((p) => {
        const values = Float32Array.from(flat.subarray(at, at + p.length));
        at += p.length;
        return values;
      });
    }
    await hooks.then?.(session.engine, theta, report);
    return { report, backend, lossLine, escaped };
  } finally {
    session.dispose();
  }
}

function firstExamples(train: Dataset, examples: number | "all"): Dataset {
  if (examples === "all" || examples >= train.n) return train;
  return subset(train, Uint32Array.from({ length: examples }, (_, i) => i));
}

// "the training loss on 1,000 of 8,000 training examples: cross_entropy (mean) + l2(0.0001) on 2 weights; …"
function describeLoss(loaded: LoadedModel, train: Dataset, used: Dataset | null): string {
  const model = loaded.model;
  const named = (names: string[]) => (names.length <= 3 ? names.join(", ") : `${names.length} tensors`);
  const regularizers = model.regularizers.length ? model.regularizers.map((r) => `${r.kind}(${r.lambda}) on ${named(r.params)}`).join(" + ") : "no regularizer";
  if (!used || !model.loss) return `the loss: the model's formula over its parameters (no data) + ${regularizers}`;
  const count = (n: number) => n.toLocaleString("en-US");
  const examples = used.n === train.n ? `all ${count(train.n)} training examples` : `the first ${count(used.n)} of ${count(train.n)} training examples (--examples all for every one)`;
  const mode = "; evaluation mode: dropout off, batch norm on its running statistics";
  return `the training loss on ${examples}: ${model.loss.kind} (${model.loss.reduction}) + ${regularizers}${mode}`;
}

const num = (x: number): string => {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? String(Number(x.toPrecision(6))) : x.toExponential(3);
};

// The report in words, one fact per line.
export function formatAnalysis(run: AnalysisRun, at: string): string[] {
  const r = run.report;
  const lines = [`analyzing at ${at}: ${r.parameters.toLocaleString("en-US")} parameters`, run.lossLine];
  lines.push(`  loss      ${num(r.loss.total)} = data term ${num(r.loss.data)} + regularizer ${num(r.loss.regularizer)}`);
  lines.push(`  gradient  ‖∇L‖ = ${num(r.gradientNorm)}`);
  lines.push(`Hessian (${r.hvps} Hessian-vector products in ${r.seconds.toFixed(2)} s, ${r.precision}):`);
  const l = r.lanczos;
  const state = (e: { residual: number; converged: boolean }) => `residual ${num(e.residual)}, ${e.converged ? "converged" : "not converged"}`;
  lines.push(`  largest eigenvalue   ${num(l.largest.value).padEnd(12)} Lanczos, ${l.steps} step${l.steps === 1 ? "" : "s"}${l.exhausted ? " (the whole Krylov space)" : ""}: ${state(l.largest)}`);
  lines.push(`  smallest eigenvalue  ${num(l.smallest.value).padEnd(12)} ${state(l.smallest)}`);
  const exactTrace = r.trace.exact === null ? "" : `; exact ${num(r.trace.exact)}`;
  lines.push(`  trace                ${`${num(r.trace.estimate)} ± ${num(r.trace.standardError)}`.padEnd(12)} Hutchinson, ${r.trace.samples} Rademacher probes (± one standard error)${exactTrace}`);
  if (r.exact) {
    const values = r.exact.eigenvalues;
    const shown = values.length <= 8 ? values.map(num).join(", ") : `${values.slice(0, 4).map(num).join(", ")}, …, ${values.slice(-4).map(num).join(", ")}`;
    const agree = r.exact.agreement;
    lines.push(`  exact Hessian        ${values.length} × ${values.length} from ${values.length} products, symmetric to ${num(r.exact.asymmetry)}; eigenvalues ${shown}`);
    lines.push(
      `  Lanczos vs exact     largest off by ${num(agree.largest)}, smallest by ${num(agree.smallest)}: ` +
        (agree.withinResidual ? "each within its residual" : "not within the residuals (a Lanczos value has not converged)"),
    );
  } else {
    lines.push(`  exact Hessian        not computed: ${r.parameters.toLocaleString("en-US")} parameters is above --exact-limit`);
  }
  const d = r.density;
  lines.push(`  spectral density     stochastic Lanczos quadrature, ${d.probes} probes × ${d.steps} steps, Gaussian σ = ${num(d.sigma)}:`);
  const peak = Math.max(...d.density);
  const width = d.grid[d.grid.length - 1]! - d.grid[0]!;
  const rows = d.grid.length > 21 ? d.grid.map((_, i) => i).filter((i) => i % 2 === 0) : d.grid.map((_, i) => i);
  for (const i of rows) {
    // Densities far below the peak, and grid points within rounding of 0, print as 0.
    const x = Math.abs(d.grid[i]!) < 1e-9 * width ? 0 : d.grid[i]!;
    const density = d.density[i]! < 1e-6 * peak ? 0 : d.density[i]!;
    const bar = "#".repeat(peak > 0 ? Math.round((density / peak) * 40) : 0);
    lines.push(`    λ ${num(x).padStart(11)}  ${num(density).padStart(10)}  ${bar}`.trimEnd());
  }
  lines.push(`verdict: ${r.verdict.summary}`);
  if (r.escape) {
    const e = r.escape;
    const tried = e.tries.map((t) => `${t.sign > 0 ? "+" : "−"}${num(t.step)}: ${num(t.loss)} (predicted change ${num(t.predicted)})`).join("; ");
    lines.push(`escape along the ${e.direction} of λ = ${num(e.eigenvalue)}, step ${num(e.step)} (halved when neither sign lowers the loss): ${tried}`);
    lines.push(
      e.chosen
        ? `  loss ${num(e.before)} → ${num(e.chosen.loss)} with the step ${e.chosen.sign > 0 ? "+" : "−"}${num(e.chosen.step)}·v`
        : `  no step lowered the loss ${num(e.before)}; try a smaller --escape-step`,
    );
  }
  return lines;
}

// The report as JSON: numbers and plain arrays (the escaped weights go to --save, not here).
export function analysisJson(run: AnalysisRun): Record<string, unknown> {
  const r = run.report;
  return {
    ...r,
    loss_description: run.lossLine,
    escape: r.escape && { ...r.escape, weights: undefined },
    eigenvectors: undefined,
  };
}
