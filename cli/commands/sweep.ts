// `nnc sweep FILE --space KEY=DISTRIBUTION(…) …`: a coarse-to-fine hyper-parameter search. Each
// round draws --trials configurations (seeded) from a box, trains each as a child `nnc run` (at
// most --parallel at once), and the next round draws from the box around the best trials so far
// (sweep/search.ts); --halving trains a round's trials for few epochs first and gives more epochs
// only to the better half, rung after rung. Every result goes to a journal the moment its trial
// ends, so a sweep that was stopped continues where it stopped (sweep/journal.ts). At the end: the
// trials ranked, the best one as a train block to paste, and a report of the metric against each
// key, with each round's box shaded.

import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { chosenTrainDecl } from "../compare-plan.ts";
import { loadModel, readSource, ReportedError } from "../load.ts";
import { integerOption, oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION, shorthandOverrides } from "../overrides.ts";
import { checkReportTargets, reportPaths, writeReport } from "../report/files.ts";
import { sweepPlotIds } from "../report/sweep-plots.ts";
import { BACKEND_HELP, backendRequest } from "../session.ts";
import { UserError } from "../user-error.ts";
import { bestTrainBlock } from "../sweep/best-block.ts";
import { checkSpaceValues, overrideKey } from "../sweep/check.ts";
import { openJournal, trialKey, type TrialRecord } from "../sweep/journal.ts";
import { checkDistinct, effectiveSettings, resolveKey } from "../sweep/keys.ts";
import { chooseMetric } from "../sweep/metric.ts";
import { boxText, rankedTrials, sweepReport, trialTable } from "../sweep/results.ts";
import { runRounds } from "../sweep/rounds.ts";
import { halvingRungs, type Rung } from "../sweep/search.ts";
import { parseSpace } from "../sweep/space.ts";
import { childRunner, type TrialRunner } from "../sweep/trials.ts";
import { prepare } from "./run.ts";

export const summary = "search hyper-parameters: seeded random search, narrowed round by round";

export const help = `Usage: nnc sweep FILE --space KEY=DISTRIBUTION(...) [--space ...] [options]

Searches the train block's hyper-parameters: each round draws --trials configurations at random
(seeded) from a box, trains each one as \`nnc run\` would (in parallel processes), and the next
round draws from a smaller box around the best trials so far. Prints the trials ranked by
--metric, the best configuration as a train block to paste into FILE, and writes a report of the
metric against each key.

The space, one --space per key:
  --space "lr=loguniform(1e-4, 1)"      log-uniform (every decade alike): rates, decays
  --space "momentum=uniform(0.5, 0.99)" uniform
  --space "epochs=int(2, 10)"           a whole number, each equally likely
  --space "batch=logint(8, 512)"        a whole number, log-uniform
  --space "batch=choice(16, 64, full)"  one of the values, each written as in a train block
Keys: a train setting (batch, epochs; any setting with choice(...), e.g.
"schedule=choice(constant, cosine())"), an argument of the optimizer (lr, momentum, weight_decay,
...), of the schedule (gamma, ...), of stop or clip, or a path such as optimizer.lr or
schedule.gamma. data, split, normalize and seed are fixed (one validation split for all).

Options:
  --trials N           trials per round (default 20)
  --rounds R           rounds (default 1); each further round samples the box spanned by the best
                       quarter of the trials so far (in log space for log-uniform keys), widened
                       by a quarter on each side
  --halving            successive halving within a round: train every trial for a few epochs,
                       keep the better half, double the epochs, … up to the train block's epochs
  --metric NAME        what ranks the trials: val_loss (the default with a validation split,
                       else train_loss), val_accuracy, val_mse, train_*, test_*
  --parallel N         trials at once (default: the number of cores, at most --trials)
  --seed S             the seed of the search's draws (default 0); every trial trains with the
                       train block's seed (--set seed=S changes it for all; seed is no --space key,
                       since it also draws the validation split)
  --journal FILE       the journal of results, one JSON line per trial (default: beside the
                       report, FILE.jsonl); when it exists and is this sweep's, the sweep resumes
  --resume             resume from the journal, and fail when there is none
  --report FILE.html   where the report goes (default runs/MODEL-sweep.html)
  --train MODEL|N      which train block to sweep
  --epochs N, --batch N|full  the same as --set epochs=N, --set batch=N, for every trial
${SET_HELP}
${BACKEND_HELP}
  --json               print one JSON object with the ranked trials and the best one last
${BUDGET_HELP}
  -h, --help           show this help

Ctrl-C stops the sweep (the trials running are stopped and not recorded); run the same command
again to continue.`;

export async function run(argv: string[], runner?: TrialRunner): Promise<number> {
  const { values, positionals } = parseOptions("sweep", help, argv, {
    ...BUDGET_OPTIONS,
    space: { type: "string", multiple: true },
    trials: { type: "string" },
    rounds: { type: "string" },
    parallel: { type: "string" },
    metric: { type: "string" },
    halving: { type: "boolean" },
    seed: { type: "string" },
    journal: { type: "string" },
    resume: { type: "boolean" },
    report: { type: "string" },
    train: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
    ...SET_OPTION,
  });
  const file = oneFile("sweep", help, positionals);
  const backend = backendRequest("sweep", values.backend);
  const trials = integerOption("sweep", "trials", values.trials, 1, 10000) ?? 20;
  const rounds = integerOption("sweep", "rounds", values.rounds, 1, 100) ?? 1;
  const parallel = integerOption("sweep", "parallel", values.parallel, 1, 256) ?? Math.max(1, Math.min(availableParallelism(), trials));
  const seed = integerOption("sweep", "seed", values.seed, 0, 4294967295) ?? 0;
  const halving = Boolean(values.halving);
  const spaces = values.space ?? [];
  if (spaces.length === 0) throw new UserError(`nnc sweep: what to search? give one --space KEY=DISTRIBUTION(…) per key, as in --space "lr=loguniform(1e-4, 1)"; see nnc sweep --help`);
  const overrides = commandLineOverrides("sweep", values.set, shorthandOverrides("sweep", { epochs: values.epochs, batch: values.batch }));
  const log = values.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);
  const budget = budgetOption("sweep", values);

  // The file as the trials will see it, then the space, checked against it.
  const loaded = loadModel("sweep", file, values.train, budget, overrides);
  const config = loaded.config;
  const source = readSource("sweep", file);
  const decl = chosenTrainDecl(loaded.compiled.program, values.train, loaded.model.name)!;
  const settings = effectiveSettings(source, decl, overrides);
  const typedSources = new Map<string, string>(spaces.map((typed, i) => [`--space #${i + 1}`, typed]));
  const report = (diagnostics: Diagnostic[]) => {
    if (!diagnostics.length) return;
    const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
    process.stderr.write(formatDiagnostics(diagnostics, new Map([[file, source], ...typedSources, ...overrides.map((o) => [o.name, o.shown] as [string, string])]), { color }));
    throw new ReportedError();
  };
  const parsed = spaces.map((typed, i) => parseSpace(i + 1, typed));
  report(parsed.flatMap((p) => p.diagnostics));
  const resolved = parsed.map((p) => resolveKey(p.entry!, settings));
  report(resolved.flatMap((r) => r.diagnostics));
  const dimensions = resolved.map((r) => r.dimension!);
  report(checkDistinct(dimensions));
  if (halving && dimensions.some((d) => d.target.setting === "epochs")) {
    throw new UserError("nnc sweep: --halving chooses each trial's epochs (doubling them rung by rung); leave `epochs` out of --space");
  }
  report(checkSpaceValues({ file, text: source, train: values.train, budget }, overrides, dimensions, settings));
  const { metric, direction, notes } = chooseMetric("sweep", values.metric, config);
  const rungs: Rung[] = halving ? halvingRungs(trials, config.epochs) : [{ epochs: config.epochs, trials }];
  if (halving && rungs.length < 2) {
    throw new UserError(`nnc sweep: --halving needs at least 2 trials per round and 2 epochs to halve, but has ${trials} trial${trials === 1 ? "" : "s"} and ${config.epochs} epoch${config.epochs === 1 ? "" : "s"}`);
  }
  prepare(config, loaded, file); // a mistake in the data is found here, once, not in every trial

  // Where the results go: checked (and the journal opened) before any trial runs.
  const reportPath = values.report ?? join("runs", `${loaded.model.name}-sweep.html`);
  const journalPath = values.journal ?? `${reportPath.slice(0, reportPath.length - extname(reportPath).length)}.jsonl`;
  const plotIds = sweepPlotIds(metric, dimensions.map((d) => d.key));
  const own = ownFiles(file, config);
  checkReportTargets("sweep", reportPath, plotIds, [...own, { path: journalPath, what: "the sweep's journal" }]);
  const identity = {
    file,
    sha256: createHash("sha256").update(source).digest("hex"),
    train: values.train ?? null,
    overrides: overrides.map((o) => o.text.trim()),
    space: spaces,
    seed,
    trials,
    rounds,
    halving,
    metric,
  };
  const journal = openJournal("sweep", journalPath, identity, [...own, ...reportPaths(reportPath, plotIds).map(({ path }) => ({ path, what: "a file of the sweep's report" }))], Boolean(values.resume));
  const done = new Map<string, TrialRecord>();
  for (const record of journal.records) done.set(trialKey(record), record);
  const records = () => [...done.values()];

  const swept = new Set(dimensions.map((d) => d.target.setting));
  if (halving) swept.add("epochs");
  const trialRunner =
    runner ??
    childRunner({
      file,
      train: values.train,
      backend,
      budget: Object.entries(budget).flatMap(([key, value]) => [`--max-${key}`, String(value)]),
      overrides: overrides.filter((o) => !swept.has(overrideKey(o))).map((o) => o.text.trim().replace(/\s+/, "=")),
      metric,
    });
  log(`sweep of ${loaded.model.name} (${file}): ${rounds === 1 ? `${trials} trials` : `${rounds} rounds of ${trials} trials (${rounds * trials} in all)`}, ${Math.min(parallel, trials)} at a time, ranked by ${metric} (${direction === "min" ? "lower" : "higher"} is better)`);
  for (const d of dimensions) log(`  ${d.key}: ${d.typed.slice(d.equals + 1).trim()}, sets ${d.target.kind === "setting" ? `\`${d.target.setting}\`` : `the ${d.target.setting}'s \`${d.target.argument}\``}`);
  for (const note of notes) log(`  ${note}`);
  if (halving) log(`  halving: ${rungs.map((r) => `${r.trials} trial${r.trials === 1 ? "" : "s"} × ${r.epochs} epoch${r.epochs === 1 ? "" : "s"}`).join(", then ")} per round`);
  const finishedBefore = journal.records.filter((r) => r.status !== "failed").length;
  log(journal.resumed ? `journal: ${journalPath}, resuming: ${finishedBefore} trial result${finishedBefore === 1 ? "" : "s"} already in it` : `journal: ${journalPath}`);

  const started = performance.now();
  const { boxes, outcome } = await runRounds(
    { dimensions, settings, epochs: config.epochs, trials, rounds, seed, rungs, halving, parallel, metric, direction },
    { journal: journalPath, done, runner: trialRunner, log },
  );
  const elapsed = (performance.now() - started) / 1000;
  if (outcome === "interrupted") {
    process.stderr.write(`nnc sweep: interrupted; ${records().length} trial results are in ${journalPath}; run the same command again to continue\n`);
    return 130;
  }
  if (outcome === "failing") {
    const first = records().find((r) => r.status === "failed");
    throw new UserError(`nnc sweep: every trial so far failed, so the sweep stopped (the first: trial ${first?.round}.${first?.trial}: ${first?.error}); the journal ${journalPath} keeps them, and a run of the same command retries them`);
  }

  // The results.
  const ranked = rankedTrials(records(), direction);
  const table = trialTable(ranked, dimensions, metric);
  const finished = ranked.filter((r) => r.status === "ok").length;
  log("");
  log(`${ranked.length} trials in ${elapsed.toFixed(1)}s${journal.resumed ? " (this run)" : ""}: ${finished} finished, ${ranked.filter((r) => r.status === "diverged").length} diverged, ${ranked.filter((r) => r.status === "failed").length} failed`);
  for (const line of table) log(line);
  const best = ranked.find((r) => r.status === "ok") ?? null;
  const results: string[] = [...table];
  let block: string | null = null;
  if (best) {
    const given = new Map(overrides.map((o) => [overrideKey(o), o.text.trim().slice(overrideKey(o).length).trim()] as [string, string]));
    for (const line of best.settings) given.set(line.split(" ")[0]!, line.slice(line.indexOf(" ") + 1));
    block = await bestTrainBlock(source, file, decl, given);
    const head = `best: trial ${best.round}.${best.trial}, ${metric} ${best.metric!.toPrecision(4)}; its train block, to paste into ${file}:`;
    const command = ["nnc", "run", file, ...(values.train === undefined ? [] : ["--train", values.train]), ...[...given].flatMap(([key, value]) => ["--set", `${key}=${value}`])].map(shellWord).join(" ");
    log("");
    log(head);
    log(block.trimEnd());
    log(`or train it as it is: ${command}`);
    results.push("", head, block.trimEnd(), `or train it as it is: ${command}`);
  }
  const boxLines = boxes.map((box, r) => `round ${r + 1}: ${dimensions.map((d, k) => `${d.key} ${boxText(d, box[k]!)}`).join(", ")}`);
  const page = sweepReport({
    file,
    model: loaded.model.name,
    lines: [`${ranked.length} trials, ranked by ${metric}; journal ${journalPath}`],
    results,
    dimensions,
    boxes,
    ranked,
    trialsPerRound: trials,
    halving,
    metric,
    direction,
    texts: [
      { title: "The space and each round's box", text: [...spaces.map((s) => `--space ${s}`), "", ...boxLines].join("\n") },
      { title: "The command", text: ["nnc", "sweep", ...argv].map(shellWord).join(" ") },
    ],
  });
  const written = writeReport("sweep", reportPath, page, plotIds);
  log(`report: ${reportPath} (and ${written.length - 1} files beside it: each plot as .svg and .csv)`);
  if (values.json) {
    console.log(
      JSON.stringify({
        file,
        model: loaded.model.name,
        metric,
        direction,
        journal: journalPath,
        report: reportPath,
        rounds: boxes.map((box, r) => ({ round: r + 1, box: Object.fromEntries(dimensions.map((d, k) => [d.key, box[k]!.kind === "range" ? [box[k]!.low, box[k]!.high] : box[k]!.values])) })),
        trials: ranked,
        best: best ? { round: best.round, trial: best.trial, metric: best.metric, values: best.values, settings: best.settings, train_block: block } : null,
      }),
    );
  }
  const failed = ranked.filter((r) => r.status === "failed");
  if (failed.length) {
    process.stderr.write(`nnc sweep: ${failed.length} trial${failed.length === 1 ? "" : "s"} failed (${failed.map((r) => `${r.round}.${r.trial}`).join(", ")}); run the same command again to retry ${failed.length === 1 ? "it" : "them"}: the journal keeps the others\n`);
    return 1;
  }
  if (!best) throw new UserError(`nnc sweep: no trial finished (every one diverged); lower the space's learning rates`);
  return 0;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function ownFiles(file: string, config: TrainConfig): { path: string; what: string }[] {
  const own = [{ path: file, what: "the sweep's own .nn file" }];
  if (config.data.kind === "csv") own.push({ path: resolve(dirname(file), config.data.path), what: "the training data" });
  return own;
}
