// Metrics accumulated as graph state (compiler/step/metrics.ts) against the host-side
// MetricAccumulator, for every loss kind, over batches of different sizes.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { addMetricAccumulators, metricsFromAccumulators, metricStateName, METRIC_STATE, type MetricsSpec } from "../../compiler/step/metrics.ts";
import { cloneGraph } from "../../compiler/ir/graph.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import { Rng } from "../../runtime/rng.ts";
import { initializeParams } from "../../runtime/train/init.ts";
import { MetricAccumulator } from "../../runtime/train/metrics.ts";

const MODELS: { name: string; target: string; loss: string; spec: Omit<MetricsSpec, "loss"> }[] = [
  { name: "cross_entropy, labels", target: "target y: class[B] of 4", loss: "cross_entropy(s, y)", spec: { reduction: "mean", accuracy: true, mse: false } },
  { name: "cross_entropy, one-hot, sum", target: "target y: [B, 4]", loss: "cross_entropy(s, y, reduction: sum)", spec: { reduction: "sum", accuracy: true, mse: false } },
  { name: "bce_with_logits", target: "target y: [B, 1]", loss: "bce_with_logits(s, y)", spec: { reduction: "mean", accuracy: true, mse: false } },
  { name: "hinge", target: "target y: [B, 1]", loss: "hinge(s, y)", spec: { reduction: "mean", accuracy: true, mse: false } },
  { name: "mse", target: "target y: [B, 4]", loss: "mse(s, y)", spec: { reduction: "mean", accuracy: false, mse: true } },
];

describe("metrics accumulated in the graph match MetricAccumulator", () => {
  for (const m of MODELS) {
    it(m.name, () => {
      const width = m.loss.startsWith("bce") || m.loss.startsWith("hinge") ? 1 : 4;
      const source = `model m {\n input x: [B, 3]\n ${m.target}\n s = dense(x, ${width})\n loss ${m.loss}\n regularize l2(0.01)\n}`;
      const compiled = compile(source, "m.nn");
      if (!compiled.trainGraph || !compiled.model) throw new Error(compiled.diagnostics.map((d) => d.message).join("; "));
      const kind = compiled.model.loss!.kind;
      const spec = { ...m.spec, loss: kind };
      const graph = cloneGraph(compiled.trainGraph);
      addMetricAccumulators(graph, spec);
      const updates = graph.stateUpdates.filter((u) => u.name.startsWith("metric."));
      const program = new CpuProgram(graph, [graph.outputs.loss!, graph.outputs.data_loss!, graph.outputs.reg_loss!, graph.outputs.prediction!, ...updates.map((u) => u.node)]);
      const params = initializeParams(graph.params, 2);
      const state: Record<string, Float32Array> = Object.fromEntries(graph.state.map((s) => [s.name, new Float32Array(1)]));
      const oracle = new MetricAccumulator(kind, spec.reduction);
      const rng = new Rng(4);
      for (const size of [5, 8, 3]) {
        const x = Float32Array.from({ length: size * 3 }, () => rng.normal());
        // Class labels are i32 (an Int32Array); real targets f32.
        const y = m.target.includes("class")
          ? Int32Array.from({ length: size }, () => rng.int(4))
          : Float32Array.from({ length: size * width }, (_, i) => (m.loss.startsWith("hinge") ? (rng.int(2) ? 1 : -1) : m.loss.startsWith("cross") ? Number(i % 4 === 1) : rng.int(2)));
        const [loss, dataLoss, regLoss, prediction, ...news] = program.run(
          { inputs: { x, y }, params: Object.fromEntries(graph.params.map((p, i) => [p.name, params[i]!])), state },
          {},
          0,
        );
        oracle.add(size, { loss: loss![0]!, data_loss: dataLoss![0]!, reg_loss: regLoss![0]! }, prediction!, y, y.length / size);
        updates.forEach((u, i) => (state[u.name] = Float32Array.from(news[i]!)));
      }
      const values = Object.fromEntries(METRIC_STATE.filter((s) => state[metricStateName(s)]).map((s) => [s, state[metricStateName(s)]![0]!]));
      const fromGraph = metricsFromAccumulators(values, spec);
      const expected = oracle.result();
      expect(fromGraph.n).toBe(expected.n);
      expect(fromGraph.accuracy).toBe(expected.accuracy);
      for (const key of ["loss", "data_loss", "reg_loss", "mse"] as const) {
        if (expected[key] === null) expect(fromGraph[key]).toBeNull();
        else expect(fromGraph[key]).toBeCloseTo(expected[key]!, 5);
      }
    });
  }
});
