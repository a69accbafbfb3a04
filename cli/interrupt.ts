// Ctrl-C (SIGINT) and SIGTERM during `nnc run`. The training loop is synchronous step by step, so
// a signal handler only runs when the loop lets the event loop turn: this drives the loop's
// generator and gives the event loop a turn every few dozen milliseconds. After a signal the run
// stops between two steps, so the caller can restore the terminal, say where the last checkpoint
// is, and exit with 128 + the signal's number (130 for Ctrl-C), as shells expect.

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
const TURN_EVERY_MS = 50;

export type Driven<T> = { done: true; value: T } | { done: false; signal: keyof typeof SIGNALS; exitCode: number };

export async function driveUntilSignal<T>(steps: Generator<void, T, void>): Promise<Driven<T>> {
  let received: keyof typeof SIGNALS | null = null;
  const handlers = Object.keys(SIGNALS).map((signal) => {
    const handler = () => {
      received = signal as keyof typeof SIGNALS;
    };
    process.on(signal, handler);
    return () => process.removeListener(signal, handler);
  });
  try {
    let turned = performance.now();
    for (;;) {
      const next = steps.next();
      if (next.done) return { done: true, value: next.value };
      if (performance.now() - turned < TURN_EVERY_MS) continue;
      await new Promise((resolve) => setImmediate(resolve));
      turned = performance.now();
      if (received !== null) {
        steps.return(undefined as T);
        return { done: false, signal: received, exitCode: 128 + SIGNALS[received as keyof typeof SIGNALS] };
      }
    }
  } finally {
    for (const remove of handlers) remove();
  }
}
