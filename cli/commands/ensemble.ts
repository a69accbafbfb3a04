// `nnc ensemble FILE --seeds N | --train A --train B … | --snapshots N`: trains the members of an
// ensemble of FILE's model through the session API (so on either backend), writes each member's
// checkpoint to a folder, then evaluates them on the test split as `nnc eval` does with several
// checkpoints (cli/ensemble-eval.ts): each member, the ensemble, and how often the members disagree.
//
// The members differ by seed (initial weights, shuffling, dropout), by train block, or are the
// snapshots of one run whose learning rate is annealed by a cosine N times over (a snapshot
// ensemble: `schedule cosine(t_max: S, every: step) then cosine(t_max: S) then …`, each part
// starting again from the optimizer's rate, one member saved at the end of each cycle). All members
// train on one split of the data, prepared once from the first member's train block (its data,
// split, normalization and seed), so the test split is held out from every member.

import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Override } from "../../compiler/index.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { PreparedData } from "../../runtime/train/prepare.ts";
import { optimizerPath, saveCheckpoint } from "../../runtime/train/checkpoint.ts";
import { NonFiniteLossError, trainingSteps, type RunSummary } from "../../runtime/train/loop.ts";
import { removeStaleTemps } from "../../runtime/train/safetensors-files.ts";
import { CheckpointError } from "../../runtime/train/safetensors.ts";
import { GpuLimitError, GpuLostError } from "../../runtime/webgpu/device.ts";
import type { BackendRequest } from "../../runtime/session.ts";
import { checkSaveTarget } from "../checkpoint-target.ts";
import { COMBINE_HELP, ensembleJson, ensembleLines, loadMember, measureEnsemble, memberStart, predictRows, readMembers } from "../ensemble-eval.ts";
import { driveUntilSignal } from "../interrupt.ts";
import { loadModel } from "../load.ts";
import { oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION, shorthandOverrides } from "../overrides.ts";
import { createReporter } from "../report.ts";
import { BACKEND_HELP, backendLine, backendRequest, openSession, startingPoint } from "../session.ts";
import { UserError } from "../user-error.ts";
import { checkOneEnsemble, chooseMode, planMembers, snapshotRun, type Plan } from "../ensemble-plan.ts";
import { prepare } from "./run.ts";

export const summary = "train an ensemble (by seed, train block or snapshots) and evaluate it";

export const help = `Usage: nnc ensemble FILE --seeds N [options]
       nnc ensemble FILE --train A --train B [--train C ...] [options]
       nnc ensemble FILE --snapshots N [options]

Trains the members of an ensemble of FILE's model, writes each member's checkpoint to a folder,
then evaluates them on the test split: each member's metrics, the ensemble's, and how often the
members disagree (the fraction of test examples on which their classes are not all the same).

How the members differ:
  --seeds N            N runs of the train block, with the seeds S, S+1, … S+N−1 (S: the
                       block's seed); the seed draws the initial weights, the batches and the
                       dropout masks
  --train MODEL|N      one member per train block, given once per member (at least two); the
                       blocks must train the same model on the same data, split and normalization
                       (with --seeds or --snapshots, one --train chooses the block, as in nnc run)
  --snapshots N        one run whose schedule is replaced by N cycles of cosine annealing
                       (cosine(t_max: S, every: step) then cosine(t_max: S) then … cosine(): each
                       cycle starts again from the optimizer's lr and ends near 0); a member is
                       saved at the end of each cycle. Early stopping is turned off for it.

Every member trains on one split of the data, made by the first member's train block (its data,
split, normalize and seed), so the test split is held out from all of them.

Options:
  --out DIR            where the members go, as DIR/member-1.safetensors … (default
                       runs/MODEL-ensemble); only earlier nnc checkpoints there are replaced
${COMBINE_HELP}
  --epochs N           number of epochs of every member (the same as --set epochs=N)
  --batch N|full       batch size of every member
  --seed S             the first member's seed (--seeds), or every member's
${SET_HELP}
${BACKEND_HELP}
  --json               print one JSON object with the results as the last line
${BUDGET_HELP}
  -h, --help           show this help

Evaluate the members again, or predict with them, with \`nnc eval\` and \`nnc predict\` and one
--checkpoint per member.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("ensemble", help, argv, {
    ...BUDGET_OPTIONS,
    seeds: { type: "string" },
    train: { type: "string", multiple: true },
    snapshots: { type: "string" },
    out: { type: "string" },
    combine: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
    ...SET_OPTION,
  });
  const file = oneFile("ensemble", help, positionals);
  const mode = chooseMode(values);
  if (values.combine !== undefined && values.combine !== "mean" && values.combine !== "vote") {
    throw new UserError(`nnc ensemble: --combine must be \`mean\` or \`vote\`, not \`${values.combine}\``);
  }
  if (values.out === "") throw new UserError("nnc ensemble: --out needs a folder name, but got an empty one");
  const request = backendRequest("ensemble", values.backend);
  const overrides = commandLineOverrides("ensemble", values.set, shorthandOverrides("ensemble", values));
  const budget = budgetOption("ensemble", values);
  const log = values.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);

  const blocks = mode.kind === "train" ? mode.blocks : [values.train?.[0]];
  const loadeds = blocks.map((block) => loadModel("ensemble", file, block, budget, overrides));
  const first = loadeds[0]!;
  if (mode.kind === "train") checkOneEnsemble(mode.blocks, loadeds);
  const data = prepare(first.config, first, file);
  if (!data.test) {
    throw new UserError(
      `nnc ensemble: ${file} has no test split to compare the members on; add one to the train block (\`split validation: 0.1, test: 0.2\`) or with --set "split=test: 0.2"`,
    );
  }
  if (values.combine === "vote" && first.model.loss!.kind === "mse") {
    throw new UserError(`nnc ensemble: --combine vote counts the members' classes, but the model is a regression (its loss is \`mse\`); use --combine mean`);
  }
  const out = values.out ?? join("runs", `${first.model.name}-ensemble`);
  const plans = planMembers(mode, loadeds, blocks);
  const snapshots = mode.kind === "snapshots" ? snapshotRun(file, plans[0]!, mode.count, overrides, data, budget, values.train?.[0], log) : null;
  const paths = (snapshots ? snapshots.boundaries : plans).map((_, i) => join(out, `member-${i + 1}.safetensors`));
  for (const path of paths) {
    checkSaveTarget(path, ownFiles(file, first.config), join("runs", `${first.model.name}-ensemble-2`), { command: "ensemble", option: "--out", what: "folder" });
    removeStaleTemps(path);
    removeStaleTemps(optimizerPath(path));
  }
  const stale = staleMembers(out, paths.length);
  if (stale.length) log(`note: ${out} also holds ${stale.join(", ")} from an earlier ensemble; they are not members of this one`);

  const describe =
    mode.kind === "seeds"
      ? `${mode.count} members by seed (seeds ${plans[0]!.seed} to ${plans.at(-1)!.seed})`
      : mode.kind === "train"
        ? `${plans.length} members, one per train block (${blocks.map((b) => `--train ${b}`).join(", ")})`
        : `${mode.count} snapshots of one run of ${snapshots!.plan.config.epochs} epochs, a member after epochs ${snapshots!.boundaries.join(", ")}`;
  log(`ensemble of ${first.model.name}: ${describe}, written to ${out}`);
  if (snapshots) log(`snapshots: schedule ${snapshots.schedule}`);

  // Each member's run, in order (the snapshot run once).
  const runs: RunSummary[] = [];
  const context = { data, request, log, json: Boolean(values.json) };
  if (snapshots) {
    const result = await trainMember(snapshots.plan, paths.at(-1)!, context, true, (path, epoch) => {
      const index = snapshots.boundaries.indexOf(epoch);
      if (index < 0 || index === snapshots.boundaries.length - 1) return;
      copyFileSync(path, paths[index]!);
      copyFileSync(optimizerPath(path), optimizerPath(paths[index]!));
      log(`snapshot ${index + 1}: the end of cycle ${index + 1} (epoch ${epoch}) saved as ${paths[index]}`);
    });
    if (typeof result === "number") return result;
    log(`snapshot ${paths.length}: the end of the run (epoch ${result.epochs}) saved as ${paths.at(-1)}`);
    runs.push(result);
  } else {
    for (const [i, plan] of plans.entries()) {
      const result = await trainMember(plan, paths[i]!, context, i === 0, () => {});
      if (typeof result === "number") {
        process.stderr.write(i === 0 ? "no member was saved\n" : `${i === 1 ? "member 1 is" : `members 1 to ${i} are`} saved in ${out}\n`);
        return result;
      }
      runs.push(result);
      log(`member ${i + 1} of ${plans.length} (${plan.label}): trained ${result.epochs} epochs (${result.steps} steps) in ${result.seconds.toFixed(1)}s`);
    }
  }

  // The evaluation, as `nnc eval --checkpoint … --combine …` does it.
  const members = readMembers("ensemble", paths, first.trainGraph);
  const session = await openSession("ensemble", first, first.config, memberStart(first.trainGraph, members[0]!.content), request);
  let report;
  try {
    const predictions = [];
    for (const [i, member] of members.entries()) {
      await loadMember(session, first.trainGraph, member.content);
      const label = snapshots ? `member ${i + 1} (epoch ${snapshots.boundaries[i]})` : `member ${i + 1} (${plans[i]!.label})`;
      predictions.push({ label, checkpoint: member.path, prediction: await predictRows(session, data.test.features, data.test.n) });
    }
    report = measureEnsemble(first.model.loss!.kind, "test", (values.combine as "mean" | "vote" | undefined) ?? "mean", predictions, data.test);
  } finally {
    session.dispose();
  }
  for (const line of ensembleLines(report)) log(line);
  log(`to evaluate them again: ${evalCommand(file, blocks[0], overrides, paths)}`);
  if (values.json) {
    const json = ensembleJson(report);
    const rows = json.members as Record<string, unknown>[];
    console.log(
      JSON.stringify({
        backend: session.backend.kind,
        model: first.model.name,
        mode: mode.kind,
        out,
        ...json,
        members: rows.map((row, i) => ({
          ...row,
          ...(snapshots ? { epoch: snapshots.boundaries[i] } : { seed: plans[i]!.seed, train: plans[i]!.train, ...runJson(runs[i]!) }),
        })),
        ...(snapshots ? { ...runJson(runs[0]!), schedule: snapshots.schedule } : {}),
      }),
    );
  }
  return 0;
}

function runJson(run: RunSummary) {
  return { epochs: run.epochs, steps: run.steps, seconds: run.seconds };
}

interface TrainContext {
  data: PreparedData;
  request: BackendRequest;
  log: (line: string) => void;
  json: boolean;
}

// Trains one member (a run of `nnc run`, without its epoch table) and saves it to `path`; returns
// its summary, or the exit code when a signal stopped it.
async function trainMember(
  plan: Plan,
  path: string,
  context: TrainContext,
  showBackend: boolean,
  onCheckpoint: (path: string, epoch: number) => void,
): Promise<RunSummary | number> {
  const { data, log } = context;
  const { loaded } = plan;
  const config: TrainConfig = { ...plan.config, checkpoint: { path, every: plan.saveEvery } };
  const start = startingPoint("ensemble", loaded.trainGraph, config, { resume: null, init: null });
  const batchSize = typeof config.batch === "number" ? Math.min(config.batch, data.train.n) : data.train.n;
  const session = await openSession("ensemble", loaded, config, start, context.request, { warmBatch: batchSize });
  try {
    if (showBackend) log(backendLine(session));
    // The progress bar only: one table of epochs per member would bury the results.
    const reporter = createReporter({ progress: Boolean(process.stderr.isTTY) && !context.json, log: () => {} });
    let saved: number | null = null;
    try {
      const driven = await driveUntilSignal(
        trainingSteps(
          { config, programs: session.programs, backend: session.backend, data },
          { savePath: path, writeCheckpoint: saveCheckpoint, gradNorms: false, resume: null },
          {
            ...reporter,
            onCheckpoint: (written, epoch) => {
              saved = epoch;
              onCheckpoint(written, epoch);
            },
          },
        ),
      );
      reporter.finish();
      if (!driven.done) {
        process.stderr.write(`nnc ensemble: interrupted (${driven.signal}) while training ${plan.label}${saved === null ? "" : `; ${path} holds its epoch ${saved}`}\n`);
        return driven.exitCode;
      }
      return driven.value;
    } catch (error) {
      reporter.finish();
      if (error instanceof NonFiniteLossError) throw new UserError(`nnc ensemble: ${plan.label}: ${error.message}`);
      if (error instanceof CheckpointError) throw new UserError(`nnc ensemble: cannot save a member: ${error.message}`);
      if (error instanceof GpuLostError || error instanceof GpuLimitError) throw new UserError(`nnc ensemble: ${error.message}; training stopped`);
      throw error;
    }
  } finally {
    session.dispose();
  }
}

// The files a member must never replace: the .nn file and its data.
function ownFiles(file: string, config: TrainConfig): { path: string; what: string }[] {
  const own = [{ path: file, what: "the ensemble's own .nn file" }];
  if (config.data.kind === "csv") own.push({ path: resolve(dirname(file), config.data.path), what: "the training data" });
  return own;
}

// Members of an earlier, larger ensemble left in the folder.
function staleMembers(out: string, count: number): string[] {
  if (!existsSync(out)) return [];
  try {
    return readdirSync(out)
      .filter((name) => {
        const match = /^member-(\d+)\.safetensors$/.exec(name);
        return match !== null && Number(match[1]) > count;
      })
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  } catch {
    return [];
  }
}

// The `nnc eval` command that evaluates the members on the same split: the first member's train
// block, and the overrides that decide the data and its split.
const DATA_SETTINGS = new Set(["data", "split", "normalize", "seed", "shuffle"]);

function evalCommand(file: string, train: string | undefined, overrides: Override[], paths: string[]): string {
  const words = ["nnc", "eval", file];
  if (train !== undefined) words.push("--train", train);
  for (const override of overrides) {
    const setting = override.text.trim();
    const key = setting.split(/\s/)[0]!;
    if (DATA_SETTINGS.has(key)) words.push("--set", `${key}=${setting.slice(key.length).trim()}`);
  }
  for (const path of paths) words.push("--checkpoint", path);
  return words.map(shellWord).join(" ");
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
