// Exports a .nn file's train block to a PyTorch script in a fresh temporary folder, and writes
// nnc's initial weights for it, as `nnc export` and `nnc run` would (a CSV source is read by the
// script where it is).

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compile } from "../../compiler/index.ts";
import { exportedData, scriptData } from "../../compiler/export/data-file.ts";
import { exportPytorch } from "../../compiler/export/pytorch.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { saveCheckpoint } from "../../runtime/train/checkpoint.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { readSafetensors, writeSafetensors } from "../../runtime/train/safetensors.ts";

export interface ExportedCase {
  dir: string;
  script: string;
  init: string; // nnc's initial weights (an nnc checkpoint without optimizer state)
  trainGraph: Graph;
}

export function compiled(file: string, train?: string) {
  const result = compile(readFileSync(file, "utf8"), file, { train });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !result.model || !result.config || !result.trainGraph || !result.evalGraph) {
    throw new Error(`${file} does not compile: ${errors.map((d) => d.message).join("; ")}`);
  }
  return { model: result.model, config: result.config, trainGraph: result.trainGraph, evalGraph: result.evalGraph };
}

export function exportCase(file: string, train?: string, dir = mkdtempSync(join(tmpdir(), "nnc-export-"))): ExportedCase {
  const { model, config, trainGraph } = compiled(file, train);
  const scriptName = "train_model.py";
  const script = join(dir, scriptName);
  const where = scriptData(config, file, script);
  writeFileSync(script, exportPytorch({ model, config, source: file, scriptName, data: where }));
  if (where.kind === "file") {
    const data = exportedData(model, config, dirname(file));
    writeSafetensors(join(dir, where.name), data.tensors, data.metadata);
  }
  const init = join(dir, "init.safetensors");
  const params = initializeParams(trainGraph.params, config.seed);
  const state = initializeState(trainGraph.state);
  saveCheckpoint(
    init,
    {
      model: model.name,
      params: Object.fromEntries(trainGraph.params.map((p, i) => [p.name, params[i]!])),
      state: Object.fromEntries(trainGraph.state.map((s, i) => [s.name, state[i]!])),
      optimizer: null,
      standardizer: null,
      progress: { epoch: 0, step: 0 },
      scheduleState: null,
      earlyStoppingState: null,
      seed: config.seed,
    },
    Object.fromEntries([...trainGraph.params.map((p) => [p.name, p.shape]), ...trainGraph.state.map((s) => [s.name, s.shape])]),
  );
  return { dir, script, init, trainGraph };
}

// The largest difference between two sets of tensors, relative to the largest magnitude of the
// reference tensor (so entries near zero do not blow the measure up), over every tensor.
export function relativeDifference(reference: Record<string, Float32Array>, other: Record<string, Float32Array>): { worst: number; name: string } {
  let worst = 0;
  let worstName = "";
  for (const [name, expected] of Object.entries(reference)) {
    const actual = other[name];
    if (!actual) throw new Error(`missing tensor ${name}`);
    if (actual.length !== expected.length) throw new Error(`${name}: ${actual.length} values, expected ${expected.length}`);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]!));
      diff = Math.max(diff, Math.abs(expected[i]! - actual[i]!));
    }
    const relative = diff / Math.max(scale, 1e-6);
    if (relative > worst || !worstName) {
      worst = Math.max(worst, relative);
      worstName = name;
    }
  }
  return { worst, name: worstName };
}

export function readTensors(path: string): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(readSafetensors(path).tensors).map(([name, t]) => [name, t.data]));
}
