// Chooses each matmul's variant (compiler/codegen/wgsl/matmul.ts) by timing the candidates on the
// adapter. Every matmul is timed as the kernel it will run in, prologue and epilogue included, on
// buffers of its real size filled with random values (buffers never written can read faster), at
// the symbolic dims the caller expects (a batch of 128 unless told). The first dispatch of each
// candidate is a warm-up: lavapipe compiles a shader at its first dispatch, not at pipeline
// creation, so that time is tuning time, not a measurement. A choice holds for every matmul of
// the same shape: sizes (at the timed dims), transposes, and whether each operand is a buffer or
// computed in the kernel (a fused prologue makes every load dearer). Choices are cached per
// adapter (autotune-cache.ts) under that shape, the candidate list and MATMUL_KERNELS_VERSION.
//
// Timing costs compiles (seconds on a software adapter), so it does not hold up the start of a
// run: by default ("auto") a program takes the cached choice of each shape, or the default
// variant for a shape never timed, and the backend times those shapes after training
// (WebGpuBackend.tunePending), for the next run. "tune" times them before the program is built.
// Tuning stops at a time budget: shapes not reached yet keep the default variant and are timed
// by a later run.
//
// `NNC_MATMUL` (or a program's `matmul` option) sets the policy: "auto", "tune", "default" (the
// untimed default everywhere), or one variant's name forced for every matmul ("naive",
// "blocked8x4", "subgroup8x2@8", …).

import type { Graph, IRNode } from "../../compiler/ir/graph.ts";
import { concreteShape } from "../../compiler/ir/graph.ts";
import { planKernels, type Kernel, type KernelPlan } from "../../compiler/codegen/wgsl/kernels.ts";
import { MATMUL_KERNELS_VERSION, matmulCandidates, NAIVE, parseVariant, variantName, type MatmulVariant } from "../../compiler/codegen/wgsl/matmul.ts";
import { openAutotuneCache } from "./autotune-cache.ts";
import type { GpuContext } from "./device.ts";
import { prepareKernel, type KernelRunner } from "./kernel-timer.ts";

export interface TuneOptions {
  matmul?: string; // "auto" (the default), "tune", "default", or a variant's name
  bindings?: Record<string, number>; // symbolic dims to time at; each unbound one is 128
  budgetSeconds?: number; // default 60
  maxStorageBuffers: number;
}

export interface MatmulChoice {
  node: number;
  kernel: string; // the kernel's name with the naive variant
  shape: string; // "128×784·784×256 (Bᵀ)"
  variant: string;
  ms: Record<string, number>; // per candidate, per dispatch (Infinity, or null from the cache, when it failed); empty when not timed
  // "pending": the default variant for now, to be timed after the run ("auto").
  source: "timed" | "cache" | "forced" | "default" | "pending";
}

export interface TuningReport {
  seconds: number; // spent timing candidates (compiles included); 0 when everything came from the cache
  cache: string;
  matmuls: MatmulChoice[];
}

export class UnknownVariantError extends Error {}

// The variant a matmul of `macs` multiply-adds (at the bound dims) gets when nothing was timed. A
// small one gets the naive kernel: it compiles several times faster (on lavapipe, at the first
// dispatch, 40–130 ms against 0.3–0.6 s for a blocked or subgroup kernel with the same fused
// epilogue) and runs at most a few tenths of a millisecond slower at that size, so it is what a
// cold start wants. Larger ones get subgroups where the adapter has them, else blocked8x4.
export const SMALL_MATMUL_MACS = 1 << 20;

export function untimedVariant(gpu: GpuContext, macs: number): MatmulVariant {
  if (macs <= SMALL_MATMUL_MACS) return NAIVE;
  const candidates = matmulCandidates({ subgroupSize: gpu.adapter.subgroupSize });
  return candidates.find((v) => v.kind === "subgroup") ?? candidates.find((v) => v.kind === "blocked") ?? NAIVE;
}

export async function chooseMatmulVariants(
  gpu: GpuContext,
  graph: Graph,
  outputs: number[],
  options: TuneOptions,
): Promise<{ variantOf: (node: IRNode<"matmul">) => MatmulVariant; report: TuningReport }> {
  const policy = options.matmul ?? envPolicy() ?? "auto";
  const candidates = candidateList(gpu);
  const matmuls = graph.nodes.filter((n): n is IRNode<"matmul"> => n.op === "matmul");
  const chosen = new Map<number, MatmulVariant>();
  const report: TuningReport = { seconds: 0, cache: "", matmuls: [] };
  const variantOf = (node: IRNode<"matmul">) => chosen.get(node.id) ?? NAIVE;
  const plan = (node: IRNode<"matmul"> | null, variant: MatmulVariant) =>
    planKernels(graph, outputs, { maxStorageBuffers: options.maxStorageBuffers, matmulVariant: (n) => (n.id === node?.id ? variant : NAIVE) });
  const base = plan(null, NAIVE);
  const used = matmuls.filter((m) => base.kernels.some((k) => k.nodes.includes(m.id)));
  if (used.length === 0) return { variantOf, report };

  const bindings = Object.fromEntries(base.uniform.symbols.map((s) => [s, options.bindings?.[s] ?? 128]));
  const untimed = (m: IRNode<"matmul">) => untimedVariant(gpu, multiplyAdds(graph, m, bindings));
  if (policy === "default") {
    for (const m of used) {
      chosen.set(m.id, untimed(m));
      report.matmuls.push(describe(graph, base, m, variantName(untimed(m)), {}, "default"));
    }
    return { variantOf, report };
  }
  if (policy !== "tune" && policy !== "auto") {
    const forced = parseVariant(policy) ?? unknown(policy, gpu);
    if (forced.kind === "subgroup" && forced.lanes !== gpu.adapter.subgroupSize) {
      throw new UnknownVariantError(`matmul variant ${policy} needs subgroups of ${forced.lanes} lanes, which this adapter does not have`);
    }
    for (const m of used) {
      chosen.set(m.id, forced);
      report.matmuls.push(describe(graph, base, m, variantName(forced), {}, "forced"));
    }
    return { variantOf, report };
  }

  const cache = await openAutotuneCache(gpu.adapter);
  report.cache = cache.where;
  const budget = (options.budgetSeconds ?? 60) * 1000;
  const started = performance.now();
  for (const m of used) {
    const key = [`v${MATMUL_KERNELS_VERSION}`, shapeKey(graph, base, m, bindings), candidates.map(variantName).join(",")].join(" ");
    const hit = cache.get(key);
    const cachedVariant = hit && candidates.find((c) => variantName(c) === hit.variant);
    if (cachedVariant) {
      chosen.set(m.id, cachedVariant);
      report.matmuls.push(describe(graph, base, m, hit.variant, hit.ms, "cache"));
      continue;
    }
    if (policy === "auto" || performance.now() - started > budget) {
      chosen.set(m.id, untimed(m));
      report.matmuls.push(describe(graph, base, m, variantName(untimed(m)), {}, "pending"));
      continue;
    }
    const kernels = candidates.map((candidate) => (candidate.kind === "naive" ? base : plan(m, candidate)));
    const ms = await race(
      gpu,
      graph,
      candidates.map((candidate, k) => ({ name: variantName(candidate), plan: kernels[k]!, kernel: kernels[k]!.kernels.find((kernel) => kernel.nodes.includes(m.id))! })),
      bindings,
    );
    const best = pickVariant(candidates, ms, untimed(m));
    chosen.set(m.id, best);
    cache.set(key, { variant: variantName(best), ms });
    report.matmuls.push(describe(graph, base, m, variantName(best), ms, "timed"));
  }
  report.seconds = report.matmuls.some((c) => c.source === "timed") ? (performance.now() - started) / 1000 : 0;
  return { variantOf, report };
}

// The multiply-adds of a matmul at these symbolic dims: its outputs times its inner dim.
function multiplyAdds(graph: Graph, m: IRNode<"matmul">, bindings: Record<string, number>): number {
  const a = concreteShape(graph.nodes[m.inputs[0]!]!.shape, bindings);
  const inner = m.attrs.transposeA ? a[a.length - 2]! : a[a.length - 1]!;
  return concreteShape(m.shape, bindings).reduce((n, d) => n * d, inner);
}

// The fastest candidate, unless the untimed default is within TIE of it: closer than that, which
// one wins flips between runs on lavapipe, and the default is what every untimed run compiles.
const TIE = 0.05;

export function pickVariant(candidates: MatmulVariant[], ms: Record<string, number>, fallback: MatmulVariant): MatmulVariant {
  const fastest = candidates.reduce((a, b) => (ms[variantName(b)]! < ms[variantName(a)]! ? b : a));
  const usual = ms[variantName(fallback)];
  return usual !== undefined && usual <= ms[variantName(fastest)]! * (1 + TIE) ? fallback : fastest;
}

// "128x784·784x256 Bᵀ A=buffer B=buffer": what decides a variant's speed.
function shapeKey(graph: Graph, plan: KernelPlan, m: IRNode<"matmul">, bindings: Record<string, number>): string {
  const [a, b] = m.inputs.map((i) => graph.nodes[i]!);
  const { transposeA, transposeB } = m.attrs;
  const concrete = (node: IRNode) => concreteShape(node.shape, bindings).join("x");
  const kind = (node: IRNode) => (plan.materialized.has(node.id) ? "buffer" : "computed");
  return [`${concrete(a!)}·${concrete(b!)}`, transposeA ? "Aᵀ" : "A", transposeB ? "Bᵀ" : "B", `A=${kind(a!)}`, `B=${kind(b!)}`].join(" ");
}

// The adapter's candidates, or the list in NNC_MATMUL_CANDIDATES (names, comma-separated), for
// trying other block shapes on a new adapter.
function candidateList(gpu: GpuContext): MatmulVariant[] {
  const listed = typeof process !== "undefined" ? process.env?.NNC_MATMUL_CANDIDATES : undefined;
  if (!listed) return matmulCandidates({ subgroupSize: gpu.adapter.subgroupSize });
  return listed.split(",").map((name) => parseVariant(name.trim()) ?? unknown(name.trim(), gpu));
}

function unknown(name: string, gpu: GpuContext): never {
  const known = matmulCandidates({ subgroupSize: gpu.adapter.subgroupSize }).map(variantName).join(", ");
  throw new UnknownVariantError(`unknown matmul variant "${name}" (try ${known}, or other block sizes of the same forms)`);
}

function envPolicy(): string | undefined {
  return typeof process !== "undefined" ? process.env?.NNC_MATMUL || undefined : undefined;
}

function describe(graph: Graph, base: KernelPlan, m: IRNode<"matmul">, variant: string, ms: Record<string, number>, source: MatmulChoice["source"]): MatmulChoice {
  const [a, b] = m.inputs.map((i) => graph.nodes[i]!.shape.join("×"));
  const { transposeA, transposeB } = m.attrs;
  const flags = [transposeA ? "Aᵀ" : "", transposeB ? "Bᵀ" : ""].filter(Boolean).join(" ");
  const kernel = base.kernels.find((k) => k.nodes.includes(m.id))!.name;
  return { node: m.id, kernel, shape: `${a}·${b}${flags ? ` (${flags})` : ""} → ${m.shape.join("×")}`, variant, ms, source };
}

// Milliseconds per dispatch of each candidate kernel. Each is warmed up first (its compile), then
// timed in rounds, every round timing every candidate once (a batch of dispatches worth a few
// milliseconds), and each keeps its best round: on a loaded machine a dispatch can take 10× its
// time, and rounds spread such spells over all candidates instead of condemning the one that was
// running. Each candidate runs on SETS sets of buffers and scores the median of their bests: where
// the buffers lie matters (on lavapipe, one kernel's best on four sets in one process: 2.67 to
// 4.35 ms), and the program's own buffers are one more such draw. After the first round, a
// candidate 8× slower than the best leaves the race (naive kernels on large shapes, which cost
// tens of milliseconds a dispatch).
const SETS = 3;

async function race(gpu: GpuContext, graph: Graph, entrants: { name: string; plan: KernelPlan; kernel: Kernel }[], bindings: Record<string, number>): Promise<Record<string, number>> {
  const runners: KernelRunner[][] = entrants.map(() => []);
  const best = entrants.map(() => [] as number[]); // per buffer set
  const times = entrants.map(() => Infinity);
  const batch = entrants.map(() => 1);
  const failures: Error[] = [];
  const score = (k: number) => (best[k]!.length ? median(best[k]!) : Infinity);
  try {
    for (let k = 0; k < entrants.length; k++) {
      const e = entrants[k]!;
      // A candidate the driver rejects is out of the race, not the end of the program: the
      // variants are only ways to compute the same thing.
      try {
        for (let set = 0; set < SETS; set++) {
          const runner = await prepareKernel(gpu, graph, e.plan.uniform, e.kernel, bindings);
          runners[k]!.push(runner);
          await runner.run(1); // the warm-up: lavapipe compiles here (the first set's only)
          best[k]!.push(await runner.run(1));
        }
        times[k] = score(k);
        batch[k] = Math.max(1, Math.min(50, Math.round(4 / times[k]!)));
      } catch (error) {
        best[k] = [];
        failures.push(error as Error);
      }
    }
    for (let round = 0; round < 3; round++) {
      const fastest = Math.min(...times);
      for (let k = 0; k < entrants.length; k++) {
        if (best[k]!.length === 0 || (round > 0 && times[k]! > 8 * fastest)) continue;
        for (const [set, runner] of runners[k]!.entries()) best[k]![set] = Math.min(best[k]![set]!, await runner.run(batch[k]!));
        times[k] = score(k);
      }
    }
    if (times.every((t) => t === Infinity)) throw failures[0] ?? new Error("no matmul variant could be timed");
    return Object.fromEntries(entrants.map((e, k) => [e.name, times[k]!]));
  } finally {
    for (const runner of runners.flat()) runner.destroy();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
