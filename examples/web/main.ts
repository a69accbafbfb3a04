// The page: trains mnist_mlp on a few thousand MNIST digits in the browser through its generated
// module (`nnc compile examples/mnist_mlp.nn -o generated/mnist_mlp.ts`, run by build.ts), on WebGPU
// when there is an adapter and on nnc's CPU runtime otherwise, drawing the loss as it falls; then
// the user draws a digit and sees the model's ten probabilities for it, during training too.
//
// The query string changes the run (the browser test uses it): `backend=auto|webgpu|cpu`,
// `steps=N` (stop after N optimizer steps), `batch=N` (instead of the train block's), `epochs=N`.
// `window.nncDemo` shows the page's state to a test: the phase, the backend, every step's loss,
// the test accuracy and the last prediction.

import { decodeDigits } from "./digits.ts";
import { digitPixels } from "./digit-pixels.ts";
import { DrawingPad, showPixels } from "./drawing-pad.ts";
import { spec } from "./generated/mnist_mlp.ts";
import { LossChart } from "./loss-chart.ts";
import { openModel, type BackendChoice } from "./open-model.ts";

export interface DemoState {
  phase: "loading" | "training" | "trained" | "failed";
  backend: "webgpu" | "cpu" | null;
  description: string | null;
  losses: number[];
  testAccuracy: number | null;
  prediction: { digit: number; probabilities: number[] } | null;
  error: string | null;
}

declare global {
  interface Window {
    nncDemo: DemoState;
  }
}

const state: DemoState = { phase: "loading", backend: null, description: null, losses: [], testAccuracy: null, prediction: null, error: null };
window.nncDemo = state;

const query = new URLSearchParams(location.search);
const positive = (name: string): number | null => {
  const value = Number(query.get(name));
  return query.has(name) && Number.isInteger(value) && value > 0 ? value : null;
};
const backendChoice = (["auto", "webgpu", "cpu"].includes(query.get("backend") ?? "") ? query.get("backend") : "auto") as BackendChoice;

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusLine = element<HTMLParagraphElement>("status");
const backendLine = element<HTMLParagraphElement>("backend");
const trainMore = element<HTMLButtonElement>("train-more");
const chart = new LossChart(element<HTMLCanvasElement>("loss-chart"));

// Every call into the model goes through this queue, so a prediction for the drawing waits for the
// training step in flight instead of interleaving with it.
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work);
  queue = next.catch(() => {});
  return next;
}

// Lets the browser paint and handle input between steps (a CPU step holds the main thread).
const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));

async function main(): Promise<void> {
  const response = await fetch("mnist-digits.bin.gz");
  if (!response.ok) throw new Error(`mnist-digits.bin.gz: ${response.status} ${response.statusText}`);
  const digits = decodeDigits(new Uint8Array(await new Response(response.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()));
  const { model, description, reason } = await openModel(backendChoice);
  Object.assign(state, { backend: model.backend, description: `${description}: ${reason}` });
  backendLine.textContent = `Training on ${description}: ${reason}.`;
  backendLine.dataset.backend = model.backend;

  // The training run: the train block's optimizer and schedule on the page's digits, one step per
  // call of trainStep, with the same data object and settings every time (a run cannot change them).
  const { config } = spec;
  const data = { train: digits.train };
  const run = { batch: positive("batch") ?? (config.batch === "full" ? digits.train.y.length : config.batch) };
  const stepsPerEpoch = Math.ceil(digits.train.y.length / run.batch);
  element("data-line").textContent =
    `${model.name} (${config.optimizer.kind}, learning rate ${config.optimizer.lr}) on ${digits.train.y.length.toLocaleString("en")} MNIST digits, ` +
    `in mini-batches of ${run.batch} (${stepsPerEpoch} steps an epoch); ${digits.test.y.length} other digits test it.`;

  // Predictions for the drawing, during training too: one at a time, and the latest drawing after
  // the one in flight.
  const pad = new DrawingPad(element("pad"), () => predictDrawing());
  let predicting = false;
  let stale = false;
  function predictDrawing(): void {
    if (predicting) {
      stale = true;
      return;
    }
    const pixels = digitPixels(pad.strokes, pad.size);
    showPixels(element("preview"), pixels);
    if (!pixels) return showPrediction(null);
    predicting = true;
    serial(() => model.predict(pixels))
      .then((probabilities) => showPrediction(Array.from(probabilities)))
      .catch(fail)
      .finally(() => {
        predicting = false;
        if (stale) {
          stale = false;
          predictDrawing();
        }
      });
  }
  element("clear").addEventListener("click", () => pad.clear());

  const train = async (steps: number) => {
    state.phase = "training";
    trainMore.disabled = true;
    const started = performance.now();
    const total = state.losses.length + steps;
    let lastYield = started;
    for (let k = 1; k <= steps; k++) {
      // null: the train block's epochs are done; the next call starts a new run from these weights.
      const step = (await serial(() => model.trainStep(data, run))) ?? (await serial(() => model.trainStep(data, run)))!;
      state.losses.push(step.loss);
      if (k % 5 === 0 || k === steps) {
        chart.draw(state.losses, total);
        const rate = k / ((performance.now() - started) / 1000);
        statusLine.textContent = `Epoch ${step.epoch}, step ${state.losses.length} of ${total}: loss ${step.loss.toFixed(3)} (${rate.toFixed(1)} steps/s)`;
      }
      if (performance.now() - lastYield > 30) {
        await yieldToBrowser();
        lastYield = performance.now();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    state.testAccuracy = (await serial(() => model.evaluate(digits.test))).accuracy;
    statusLine.textContent =
      `Trained ${total} steps ${total === steps ? `in ${seconds.toFixed(1)} s` : `(the last ${steps} in ${seconds.toFixed(1)} s)`}; loss ${state.losses[total - 1]!.toFixed(3)}, ` +
      `accuracy on the ${digits.test.y.length} test digits ${(100 * state.testAccuracy!).toFixed(1)}%. Draw a digit below.`;
    state.phase = "trained";
    trainMore.disabled = false;
    predictDrawing();
  };

  trainMore.addEventListener("click", () => void train(stepsPerEpoch).catch(fail));
  await train(positive("steps") ?? (positive("epochs") ?? 3) * stepsPerEpoch);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

// The predicted digit and a bar for each class's probability.
function showPrediction(probabilities: number[] | null): void {
  const digit = probabilities ? argmax(probabilities) : null;
  state.prediction = probabilities ? { digit: digit!, probabilities } : null;
  element("predicted").textContent = digit === null ? "–" : String(digit);
  const rows = element("probabilities");
  rows.replaceChildren(
    ...Array.from({ length: 10 }, (_, k) => {
      const p = probabilities?.[k] ?? 0;
      const row = document.createElement("li");
      row.className = k === digit ? "best" : "";
      row.innerHTML = `<span class="class">${k}</span><span class="bar"><span style="width:${(100 * p).toFixed(1)}%"></span></span><span class="p">${probabilities ? `${(100 * p).toFixed(1)}%` : ""}</span>`;
      return row;
    }),
  );
}

function fail(error: unknown): void {
  state.phase = "failed";
  state.error = error instanceof Error ? error.message : String(error);
  statusLine.textContent = `Failed: ${state.error}`;
  console.error(error);
}

showPrediction(null);
void main().catch(fail);
