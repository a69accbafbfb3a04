// Ctrl-C (SIGINT) and SIGTERM during `nnc run`. A CPU step runs to its end without giving the event
// loop a turn (its promises resolve as microtasks), so a signal handler only runs when the loop
// lets the event loop turn: this drives the loop's generator and gives the event loop a turn every
// few dozen milliseconds. After a signal the run
// stops between two steps, so the caller can restore the terminal, say where the last checkpoint
// is, and exit with 128 + the signal's number (130 for Ctrl-C), as shells expect.

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
const TURN_EVERY_MS = 50;

export type Driven<T> = { done: true; value: T } | { done: false; signal: keyof typeof SIGNALS; exitCode: number };

export async function driveUntilSignal<T>(steps: AsyncGenerator<void, T, void>): Promise<Driven<T>> {
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
      const next = await steps.next();
      if (next.done) return { done: true, value: next.value };
      if (performance.now() - turned < TURN_EVERY_MS) continue;
      await new Promise((resolve) => setImmediate(resolve));
      turned = performance.now();
      if (received !== null) {
        await steps.return(undefined as T);
        return { done: false, signal: received, exitCode: 128 + SIGNALS[received as keyof typeof SIGNALS] };
      }
    }
  } finally {
    for (const remove of handlers) remove();
  }
}
