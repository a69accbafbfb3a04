// The demo page (examples/web/) in a real browser: Debian's chromium, headless, driven by
// playwright-core (which downloads no browser of its own). The page is built, served, opened,
// trains a few steps on WebGPU (chromium's SwiftShader adapter, a software one with WebGPU's
// default limits) and on the CPU runtime, and predicts a digit drawn with the mouse. The HTML report
// of `nnc run --report` is opened too. Any console error or uncaught exception in a page fails the
// test. A screenshot of each page is saved in test/web/screenshots/ and its path printed.
//
// Without chromium the tests are skipped, except under CI, where they fail (.ci/run installs it).
// NNC_CHROMIUM names another Chromium binary.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveFolder, type StaticServer } from "../../examples/web/static-server.ts";

const CHROMIUM = process.env.NNC_CHROMIUM ?? "/usr/bin/chromium";
// A WebGPU adapter headless: the flag is all it takes on Linux, where chromium falls back to
// SwiftShader (its CPU Vulkan) with no GPU; the page must come from a secure context (localhost).
const ARGS = ["--enable-unsafe-webgpu"];
const SCREENSHOTS = join(import.meta.dirname, "screenshots");
const WEB = join(import.meta.dirname, "..", "..", "examples", "web");

// `npm run demo:build`, run as a command (the page's code is type-checked with its own tsconfig,
// which has the DOM library, not with this test's).
function buildDemo(): string {
  const build = spawnSync(process.execPath, ["--import", "tsx", join(WEB, "build.ts")], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(`the demo's build failed:\n${build.stdout}${build.stderr}`);
  return join(WEB, "dist");
}

const found = existsSync(CHROMIUM);
if (!found && process.env.CI) throw new Error(`CI needs chromium at ${CHROMIUM} for the browser tests (.ci/run installs Debian's chromium)`);
if (!found) process.stdout.write(`browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set NNC_CHROMIUM)\n`);

interface DemoState {
  phase: "loading" | "training" | "trained" | "failed";
  backend: "webgpu" | "cpu" | null;
  description: string | null;
  losses: number[];
  testAccuracy: number | null;
  prediction: { digit: number; probabilities: number[] } | null;
  error: string | null;
}

// Built once for both describes: the type-check needs the generated module the build writes.
let dist: string;
beforeAll(() => {
  dist = buildDemo();
});

describe.skipIf(!found)("the demo page in chromium", () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    server = await serveFolder(dist, 0, "127.0.0.1");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // Every console error and uncaught exception of a page, as they come.
  function collectErrors(page: Page): string[] {
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
    return errors;
  }

  // Opens the demo page with a query.
  async function open(query: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    const errors = collectErrors(page);
    await page.goto(`${server.url}${query}`);
    return { page, errors };
  }

  const demoState = (page: Page) => page.evaluate("window.nncDemo") as Promise<DemoState>;

  async function trained(page: Page, timeout: number): Promise<DemoState> {
    await page.waitForFunction("['trained', 'failed'].includes(window.nncDemo?.phase)", null, { timeout, polling: 250 });
    const state = await demoState(page);
    expect(state.error).toBeNull();
    return state;
  }

  // A "7" drawn with the mouse on the pad: a stroke right, then down and to the left.
  async function drawSeven(page: Page): Promise<void> {
    const box = (await page.locator("#pad").boundingBox())!;
    const at = (x: number, y: number) => [box.x + x * box.width, box.y + y * box.height] as const;
    await page.mouse.move(...at(0.3, 0.25));
    await page.mouse.down();
    await page.mouse.move(...at(0.7, 0.25), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.8), { steps: 12 });
    await page.mouse.up();
  }

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

  async function runDemo(query: string, backend: "webgpu" | "cpu", steps: number): Promise<DemoState> {
    const started = performance.now();
    const { page, errors } = await open(query);
    const state = await trained(page, 90_000);
    const seconds = (performance.now() - started) / 1000;
    expect(state.backend).toBe(backend);
    expect(state.losses).toHaveLength(steps);
    expect(state.losses.every(Number.isFinite)).toBe(true);
    // One mini-batch's loss is noisy; the mean of the last five steps is well below the first five's.
    expect(mean(state.losses.slice(-5))).toBeLessThan(0.8 * mean(state.losses.slice(0, 5)));
    expect(state.testAccuracy).toBeGreaterThan(0.3); // chance is 0.1
    expect(await page.locator("#backend").textContent()).toContain(backend === "webgpu" ? "Training on WebGPU" : "Training on nnc's CPU runtime");

    await drawSeven(page);
    await page.waitForFunction("window.nncDemo.prediction !== null", null, { timeout: 30_000 });
    const { prediction } = await demoState(page);
    expect(prediction!.probabilities).toHaveLength(10);
    expect(mean(prediction!.probabilities) * 10).toBeCloseTo(1, 4); // a softmax sums to 1
    expect(await page.locator("#predicted").textContent()).toBe(String(prediction!.digit));

    const screenshot = join(SCREENSHOTS, `demo-${backend}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stdout.write(
      `demo on ${state.description}: ${steps} steps, loss ${state.losses[0]!.toFixed(3)} → ${state.losses[steps - 1]!.toFixed(3)}, ` +
        `test accuracy ${(100 * state.testAccuracy!).toFixed(1)}%, drawn 7 read as ${prediction!.digit}; ${seconds.toFixed(1)} s; screenshot ${screenshot}\n`,
    );
    expect(errors).toEqual([]);
    await page.close();
    return state;
  }

  let webgpuLosses: number[] | null = null;

  it("trains on WebGPU, shows the loss falling and predicts a drawn digit, with no console error", async () => {
    webgpuLosses = (await runDemo("?steps=20&batch=32", "webgpu", 20)).losses;
  });

  it("trains on the CPU runtime when asked (the fallback without WebGPU), with WebGPU's numbers", async () => {
    const { losses } = await runDemo("?backend=cpu&steps=20&batch=32", "cpu", 20);
    // The same seed, batches and programs: the first step's loss agrees across the two backends as
    // nnc's parity tests ask (1e-5), and later ones, after the updates' rounding differences have
    // compounded, to 0.1%.
    if (webgpuLosses) {
      expect(losses[0]).toBeCloseTo(webgpuLosses[0]!, 5);
      losses.forEach((loss, i) => expect(Math.abs(loss - webgpuLosses![i]!), `step ${i + 1}`).toBeLessThan(1e-3 * loss));
    }
  });

  it("opens the HTML report of `nnc run --report` with no console error, its SVG charts drawn", async () => {
    const folder = mkdtempSync(join(tmpdir(), "nnc-report-"));
    const report = join(folder, "report.html");
    const run = spawnSync(process.execPath, ["bin/nnc.js", "run", "examples/logistic_regression.nn", "--epochs", "1", "--backend", "cpu", "--report", report], { encoding: "utf8" });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    try {
      // Opened as a file, as a report is (served, the browser would also ask for a favicon).
      const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
      const errors = collectErrors(page);
      await page.goto(pathToFileURL(report).href);
      const charts = page.locator("svg");
      expect(await charts.count()).toBeGreaterThan(0);
      for (const chart of await charts.all()) {
        const box = (await chart.boundingBox())!;
        expect(box.width).toBeGreaterThan(100);
        expect(box.height).toBeGreaterThan(50);
        // Marks the browser drew: lines and points with a rendered extent (one epoch is one point).
        const marks = await chart.evaluate((svg) =>
          Array.from(svg.querySelectorAll("path, polyline, circle"), (mark) => (mark as unknown as { getBBox(): { width: number; height: number } }).getBBox()).filter((box) => box.width > 0 || box.height > 0).length,
        );
        expect(marks).toBeGreaterThan(0);
      }
      const screenshot = join(SCREENSHOTS, "report.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      process.stdout.write(`report of nnc run --report: ${await charts.count()} SVG charts; screenshot ${screenshot}\n`);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("the demo page's code", () => {
  it("type-checks with the DOM library, its generated module included (examples/web/tsconfig.json; the root tsconfig leaves it out)", () => {
    const tsc = spawnSync(process.execPath, [join("node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", WEB], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});
