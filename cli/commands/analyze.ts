// `nnc analyze FILE`: what kind of point the weights are. At the train block's initial weights, or
// at a checkpoint's, it reports on the training loss: the gradient, the Hessian's extreme
// eigenvalues (Lanczos), its trace (Hutchinson), its spectral density (stochastic Lanczos
// quadrature), for small models the exact Hessian, and the verdict; with --escape, a step along
// the most negative eigenvector, saved with --save for `nnc run --init`; with --landscape, the loss
// along a line and over a plane through the point (landscape.ts); with --report, a page with the
// spectral density and the landscape drawn.

import { saveCheckpoint } from "../../runtime/train/checkpoint.ts";
import { CheckpointError } from "../../runtime/train/safetensors.ts";
import { analysisJson, analysisSettings, ANALYSIS_HELP, ANALYSIS_OPTIONS, flatParams, formatAnalysis, runAnalysis } from "../analysis.ts";
import { checkSaveTarget } from "../checkpoint-target.ts";
import { formatLandscape, landscapeJson, type LandscapeResult, runLandscape } from "../landscape.ts";
import { LANDSCAPE_HELP, LANDSCAPE_OPTIONS, landscapePlan, planDescription } from "../landscape-plan.ts";
import { analysisReport, ANALYZE_PLOT_IDS } from "../report/analysis-report.ts";
import { checkReportTargets, writeReport } from "../report/files.ts";
import { readTraceLog } from "../trace-log.ts";
import { loadModel } from "../load.ts";
import { BUDGET_HELP, BUDGET_OPTIONS, budgetOption, oneFile, parseOptions } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION } from "../overrides.ts";
import { BACKEND_HELP, backendRequest, readCheckpoint, startingPoint } from "../session.ts";
import { UserError } from "../user-error.ts";
import { prepare } from "./run.ts";
import { BackendUnavailableError } from "../../runtime/session.ts";

export const summary = "the kind of critical point: gradient, Hessian spectrum, verdict, saddle escape";

export const help = `Usage: nnc analyze FILE [options]

Reports on the training loss at one point of the weights (the train block's initial weights, or a
checkpoint's): the loss (its data term and regularizer), the gradient norm, the Hessian's largest
and smallest eigenvalues (Lanczos on Hessian-vector products, with their residuals), its trace
(Hutchinson), its spectral density (stochastic Lanczos quadrature), for small models the exact
Hessian and all its eigenvalues, and a verdict: local minimum, local maximum, saddle point,
degenerate, or not a critical point. The loss is the evaluation graph's: dropout off, batch norm on
its running statistics.

Options:
${BACKEND_HELP}
  --train MODEL|N      which train block's model and data, by model name or number
  --checkpoint PATH    analyze at the weights in PATH (an nnc checkpoint or a safetensors file of
                       weights); without it, at the train block's initial weights (its seed)
  --init PATH          the same as --checkpoint
${SET_HELP}
${ANALYSIS_HELP}
  --escape             take a step along the eigenvector of the most negative eigenvalue, both
                       signs tried, and report the loss before and after
  --escape-step S      the step's length (default 0.1); halved up to 8 times when neither sign
                       lowers the loss
  --save PATH          write the weights after the escape step, to continue training from them
                       with \`nnc run FILE --init PATH\`
${LANDSCAPE_HELP}
  --report FILE.html   write a report: the results, the spectral density and the landscape's
                       line and contour plots, each plot beside it as FILE.ID.svg and .csv
  --json               print one JSON object with every figure
${BUDGET_HELP}
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("analyze", help, argv, {
    ...BUDGET_OPTIONS,
    ...ANALYSIS_OPTIONS,
    ...SET_OPTION,
    backend: { type: "string" },
    train: { type: "string" },
    checkpoint: { type: "string" },
    init: { type: "string" },
    escape: { type: "boolean" },
    "escape-step": { type: "string" },
    save: { type: "string" },
    json: { type: "boolean" },
    report: { type: "string" },
    ...LANDSCAPE_OPTIONS,
  });
  const file = oneFile("analyze", help, positionals);
  if (values.checkpoint !== undefined && values.init !== undefined) throw new UserError("nnc analyze: use --checkpoint or --init, not both");
  const from = values.checkpoint ?? values.init ?? null;
  if (from === "") throw new UserError("nnc analyze: --checkpoint needs a file name, but got an empty one");
  if (values.save !== undefined && !values.escape) throw new UserError("nnc analyze: --save writes the weights after the escape step; add --escape");
  if (values["escape-step"] !== undefined && !values.escape) throw new UserError("nnc analyze: --escape-step needs --escape");
  const step = values["escape-step"] === undefined ? 0.1 : Number(values["escape-step"]);
  if (!(step > 0) || !Number.isFinite(step)) throw new UserError(`nnc analyze: --escape-step needs a positive number, but got \`${values["escape-step"]}\``);
  const settings = analysisSettings("analyze", values, values.escape ? { step, halvings: 8 } : null);
  const request = backendRequest("analyze", values.backend);
  const loaded = loadModel("analyze", file, values.train, budgetOption("analyze", values), commandLineOverrides("analyze", values.set));
  const start = startingPoint("analyze", loaded.trainGraph, loaded.config, { resume: null, init: from });
  if (values.save !== undefined) {
    checkSaveTarget(values.save, [{ path: file, what: "the model's own .nn file" }], `runs/${loaded.model.name}.escaped.safetensors`, { command: "analyze", option: "--save", what: "file" });
  }
  const theta = flatParams(start.params);
  const plan = landscapePlan("analyze", values, {
    params: loaded.trainGraph.params,
    theta,
    seed: settings.seed,
    readTo: (path) => {
      const other = readCheckpoint("analyze", path, loaded.trainGraph);
      return flatParams(loaded.trainGraph.params.map((p) => other.params[p.name]!));
    },
    readTrace: (path) => readTraceLog("analyze", path, { model: loaded.model.name, parameters: theta.length }),
  });
  if (values.report !== undefined) {
    const own = [{ path: file, what: "the model's own .nn file" }, ...[from, values.to, values["trace-from"], values.save].filter((p): p is string => typeof p === "string").map((path) => ({ path, what: "a file the analysis reads or writes" }))];
    checkReportTargets("analyze", values.report, ANALYZE_PLOT_IDS, own);
  }
  const data = prepare(loaded.config, loaded, file, start.checkpoint?.standardizer ?? null);
  const log = values.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);
  const examples = loaded.model.objective ? "of the formula" : `over ${(settings.examples === "all" ? data.train.n : Math.min(settings.examples, data.train.n)).toLocaleString("en-US")} training examples`;

  let result;
  let landscape: LandscapeResult | null = null;
  try {
    result = await runAnalysis(
      {
        loaded,
        data,
        params: start.params,
        state: Object.fromEntries(loaded.trainGraph.state.map((s, i) => [s.name, start.state[i]!])),
        request,
        settings,
      },
      {
        // The backend first, then what the landscape will cost, before anything is computed.
        opened: (backend) => {
          log(backend);
          if (plan) log(planDescription(plan, examples));
        },
        then: plan
          ? async (engine, at, report) => {
              landscape = await runLandscape(engine, at, report, plan, log);
            }
          : undefined,
      },
    );
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UserError(`nnc analyze: --backend webgpu: ${error.message}`);
    throw error;
  }
  const at = from ? `the weights in ${from}` : `the initial weights (seed ${loaded.config.seed})`;
  const results = formatAnalysis(result, at);
  if (values.escape && !result.report.escape) results.push(`escape: nothing to escape along: no eigenvalue is below −${result.report.verdict.zeroThreshold.toExponential(2)}`);
  if (landscape) results.push(...formatLandscape(landscape));
  for (const line of results) log(line);
  if (values.report !== undefined) {
    const page = analysisReport({ model: loaded.model.name, file, backend: result.backend, argv: ["analyze", ...argv], results, report: result.report, landscape });
    const written = writeReport("analyze", values.report, page, ANALYZE_PLOT_IDS);
    log(`report: ${values.report} (and ${written.length - 1} files beside it: each plot as .svg and .csv)`);
  }

  let saved: string | null = null;
  if (values.save !== undefined && result.escaped) {
    const params = Object.fromEntries(loaded.trainGraph.params.map((p, i) => [p.name, result.escaped![i]!]));
    const state = Object.fromEntries(loaded.trainGraph.state.map((s, i) => [s.name, start.state[i]!]));
    const shapes = Object.fromEntries([...loaded.trainGraph.params, ...loaded.trainGraph.state].map((t) => [t.name, t.shape]));
    try {
      saveCheckpoint(
        values.save,
        {
          model: loaded.model.name,
          params,
          state,
          optimizer: null,
          standardizer: data.standardizer,
          progress: start.checkpoint?.progress ?? { epoch: 0, step: 0 },
          scheduleState: null,
          earlyStoppingState: null,
          seed: loaded.config.seed,
        },
        shapes,
      );
    } catch (error) {
      if (error instanceof CheckpointError) throw new UserError(`nnc analyze: cannot save the escaped weights: ${error.message}`);
      throw error;
    }
    saved = values.save;
    const train = values.train === undefined ? "" : ` --train ${values.train}`;
    log(`wrote the escaped weights to ${saved}; continue training from them with \`nnc run ${file}${train} --init ${saved}\``);
  } else if (values.save !== undefined) {
    log(`nothing written to ${values.save}: no escape step was taken`);
  }
  if (values.json) console.log(JSON.stringify({ model: loaded.model.name, file, at: from ?? "initial", ...analysisJson(result), saved, ...(landscape ? { landscape: landscapeJson(landscape) } : {}) }));
  return 0;
}
