// The ONNX export, run by onnxruntime-node, gives nnc's CPU runtime's outputs within 1e-5 for
// every example and every parity case: the declared outputs (or the prediction), with the
// standardization saved in the checkpoint applied to raw inputs, at two batch sizes (the batch
// dimension is symbolic). The weights are nnc's initial ones with batch-norm statistics moved
// away from 0 and 1, so evaluation mode is really exercised.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { exportOnnx } from "../../compiler/export/onnx.ts";
import { applyStandardizer } from "../../runtime/data/standardize.ts";
import { createSession } from "../../runtime/session.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { targetInfo } from "../../cli/session.ts";
import { compiled } from "./export-helpers.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TOLERANCE = Number(process.env.NNC_EXPORT_TOLERANCE ?? 1e-5); // 0 shows every difference

const files = [
  ...readdirSync(join(ROOT, "examples"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => join(ROOT, "examples", f)),
  ...["losses.nn", "layers.nn"].map((f) => join(import.meta.dirname, "cases", f)),
];
// Every model of a file: one train block per model is enough (the graph does not depend on it).
const cases = files.flatMap((file) => {
  const text = readFileSync(file, "utf8");
  // A model trained without data (examples/saddle.nn) is not exported.
  if (/^\s*data\s+none\b/m.test(text)) return [];
  const models = [...text.matchAll(/^train (\w+)/gm)].map((m) => m[1]!);
  return [...new Set(models)].map((model) => ({ name: `${file.slice(ROOT.length + 1)} (${model})`, file, model }));
});

describe("ONNX export: onnxruntime gives nnc's outputs", () => {
  it.each(cases)("$name", async ({ file, model: modelName }) => {
    const { model, config, trainGraph, evalGraph } = compiled(file, modelName);
    const params = initializeParams(trainGraph.params, config.seed);
    const state = initializeState(trainGraph.state).map((values, i) =>
      values.map((v, j) => (trainGraph.state[i]!.name.endsWith("running_var") ? 0.5 + ((j * 7) % 5) / 4 : 0.1 * ((j % 5) - 2))),
    );
    const small = config.data.kind === "mnist" ? { ...config, data: { ...config.data, train: 64, test: 16 } } : config;
    const data = prepareData({ ...small, standardize: false }, targetInfo(model), dirname(file));
    const standardizer = config.standardize ? prepareData(small, targetInfo(model), dirname(file)).standardizer : null;
    const trainer = (await createSession({ model, trainGraph, evalGraph }, config, { params, state }, { backend: "cpu" })).backend;

    const bytes = exportOnnx({
      model,
      graph: evalGraph,
      checkpoint: {
        model: model.name,
        params: Object.fromEntries(trainGraph.params.map((p, i) => [p.name, params[i]!])),
        state: Object.fromEntries(trainGraph.state.map((s, i) => [s.name, state[i]!])),
        optimizer: null,
        standardizer,
        progress: { epoch: 0, step: 0 },
        scheduleState: null,
        earlyStoppingState: null,
      },
    });
    const session = await ort.InferenceSession.create(bytes);
    const input = model.inputs[0]!;
    const outputs = model.outputs.length ? model.outputs.map((o) => o.name) : ["prediction"];
    expect(session.inputNames).toEqual([input.name]);
    expect(session.outputNames).toEqual(outputs);

    for (const n of [1, 7]) {
      const raw = data.train.features.slice(0, n * data.train.featureSize);
      const dims = [n, ...input.shape.slice(1).map(Number)];
      const results = await session.run({ [input.name]: new ort.Tensor("float32", raw, dims) });
      const fed = standardizer ? applyStandardizer(standardizer, { ...data.train, n, features: raw }).features : raw;
      for (const name of outputs) {
        const expected = await trainer.predict(fed, n, name);
        const actual = results[name]!.data as Float32Array;
        expect(actual.length).toBe(expected.length);
        let worst = 0;
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
        expect(worst, `${name}, batch ${n}`).toBeLessThan(TOLERANCE);
      }
    }
  });
});
