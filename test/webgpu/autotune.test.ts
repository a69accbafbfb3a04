// The matmul autotuner: it times every candidate variant of each matmul on the adapter, keeps the
// fastest, writes the choice to its cache file, and a second program with the same kernels takes
// the choice from the cache without timing. Which variant wins depends on the machine, so the
// test checks the bookkeeping and the results, never the winner.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { matmulCandidates, parseVariant, variantName } from "../../compiler/codegen/wgsl/matmul.ts";
import { GraphBuilder } from "../../compiler/ir/graph.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import { Rng } from "../../runtime/rng.ts";
import { pickVariant, SMALL_MATMUL_MACS, untimedVariant } from "../../runtime/webgpu/autotune.ts";
import { compileProgram, createProgram } from "../../runtime/webgpu/compile.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();
const folder = mkdtempSync(join(tmpdir(), "nnc-autotune-"));
afterAll(() => {
  gpu?.destroy();
  rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!gpu)("matmul autotuning", () => {
  it("times every candidate, caches the choice, and a second program reuses it", async () => {
    const file = join(folder, "autotune.json");
    process.env.NNC_AUTOTUNE_CACHE = file;
    const b = new GraphBuilder("autotune.nn", "train");
    const x = b.source("input", { name: "x" }, ["B", 41]);
    const w = b.source("input", { name: "w" }, [23, 41]);
    const y = b.unary("relu", b.matmul(x, w, false, true));
    const rng = new Rng(5);
    const feeds = {
      inputs: { x: Float32Array.from({ length: 9 * 41 }, () => rng.uniform() - 0.5), w: Float32Array.from({ length: 23 * 41 }, () => rng.uniform() - 0.5) },
      params: {},
      state: {},
    };
    const candidates = matmulCandidates({ subgroupSize: gpu!.adapter.subgroupSize }).map(variantName);

    const first = await createProgram(gpu!, b.graph, { read: [y], matmul: "tune", tuneBindings: { B: 9 } });
    const [choice] = first.tuning!.matmuls;
    expect(choice!.source).toBe("timed");
    expect(Object.keys(choice!.ms).sort()).toEqual([...candidates].sort());
    expect(candidates).toContain(choice!.variant);
    expect(first.tuning!.cache).toBe(file);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { entries: Record<string, { variant: string }> };
    expect(Object.values(saved.entries).map((e) => e.variant)).toEqual([choice!.variant]);

    const second = await createProgram(gpu!, b.graph, { read: [y], matmul: "tune", tuneBindings: { B: 9 } });
    expect(second.tuning!.matmuls[0]!.source).toBe("cache");
    expect(second.tuning!.matmuls[0]!.variant).toBe(choice!.variant);
    expect(second.tuning!.seconds).toBe(0);

    const expected = new CpuProgram(b.graph, [y]).run(feeds, { B: 9 }, 0)[0]!;
    const [actual] = await second.run(feeds, { B: 9 });
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual![i]! - expected[i]!)).toBeLessThan(1e-5);
    first.destroy();
    second.destroy();
    delete process.env.NNC_AUTOTUNE_CACHE;
  });

  it("by default takes the default variant for a shape never timed, and times it later for the next program", async () => {
    process.env.NNC_AUTOTUNE_CACHE = join(folder, "auto.json");
    const b = new GraphBuilder("autotune.nn", "train");
    const y = b.matmul(b.source("input", { name: "x" }, ["B", 19]), b.source("input", { name: "w" }, [19, 7]), false, false);
    const first = await compileProgram(gpu!, b.graph, { read: [y], matmul: "auto", tuneBindings: { B: 5 } });
    expect(first.tuning.matmuls[0]!.source).toBe("pending");
    expect(first.tuning.seconds).toBe(0);
    const report = await first.tunePending(60);
    expect(report!.matmuls[0]!.source).toBe("timed");
    const second = await compileProgram(gpu!, b.graph, { read: [y], matmul: "auto", tuneBindings: { B: 5 } });
    expect(second.tuning.matmuls[0]!.source).toBe("cache");
    expect(await second.tunePending(60)).toBeNull();
    delete process.env.NNC_AUTOTUNE_CACHE;
  });

  it("untimed, a small matmul takes the naive kernel (it compiles fastest) and a large one the adapter's best guess", async () => {
    const b = new GraphBuilder("autotune.nn", "train");
    const small = b.matmul(b.source("input", { name: "x" }, ["B", 256]), b.source("input", { name: "w" }, [256, 10]), false, false);
    const large = b.matmul(b.source("input", { name: "h" }, ["B", 784]), b.source("input", { name: "v" }, [784, 256]), false, false);
    const { tuning } = await compileProgram(gpu!, b.graph, { read: [small, large], matmul: "default", tuneBindings: { B: 128 } });
    const variant = (node: number) => tuning.matmuls.find((m) => m.node === node)!.variant;
    expect(128 * 256 * 10).toBeLessThanOrEqual(SMALL_MATMUL_MACS);
    expect(variant(small)).toBe("naive");
    expect(variant(large)).toBe(variantName(untimedVariant(gpu!, 128 * 784 * 256)));
    expect(variant(large)).not.toBe("naive");
  });

  it("nnc run times the untimed shapes after training, and the next run finds them in the cache", () => {
    const env = { ...process.env, NNC_MATMUL: "auto", NNC_AUTOTUNE_CACHE: join(folder, "run.json") };
    const run = () => spawnSync(process.execPath, ["bin/nnc.js", "run", "examples/linear_regression.nn", "--backend", "webgpu", "--epochs", "1"], { encoding: "utf8", env });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/not timed on this adapter yet \(timed after training\)/);
    expect(first.stdout).toMatch(/webgpu: timed the matmul variants of \d+ shapes? for the next run in [\d.]+ s/);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("matmul variants from the autotune cache");
    expect(second.stdout).not.toContain("for the next run");
  });

  it("refuses a variant it does not know", async () => {
    const b = new GraphBuilder("autotune.nn", "train");
    const y = b.matmul(b.source("input", { name: "x" }, [3, 4]), b.source("input", { name: "w" }, [4, 5]), false, false);
    await expect(createProgram(gpu!, b.graph, { read: [y], matmul: "tiled9x9" })).rejects.toThrow(/unknown matmul variant/);
  });
});

describe("choosing among timed variants", () => {
  const candidates = ["naive", "blocked8x4", "subgroup8x2@8"].map((name) => parseVariant(name)!);
  const pick = (ms: Record<string, number>, fallback: string) => variantName(pickVariant(candidates, ms, parseVariant(fallback)!));

  it("takes the fastest, but keeps the untimed default when it is within 5% of it", () => {
    expect(pick({ naive: 9, "blocked8x4": 1.0, "subgroup8x2@8": 1.5 }, "subgroup8x2@8")).toBe("blocked8x4");
    expect(pick({ naive: 9, "blocked8x4": 1.0, "subgroup8x2@8": 1.04 }, "subgroup8x2@8")).toBe("subgroup8x2@8");
    expect(pick({ naive: 0.38, "blocked8x4": 0.15, "subgroup8x2@8": 0.17 }, "naive")).toBe("blocked8x4");
    expect(pick({ naive: 9, "blocked8x4": 1.0, "subgroup8x2@8": Infinity }, "subgroup8x2@8")).toBe("blocked8x4");
  });
});
