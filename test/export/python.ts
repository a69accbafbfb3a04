// Finding a Python with PyTorch for the export tests, and running exported scripts with it.
// NNC_PYTHON chooses the interpreter; otherwise Debian's /usr/bin/python3 (where the python3-torch
// package installs torch), then python3 and python on PATH. Under CI (the CI variable set) a
// missing torch fails the tests instead of skipping them.

import { spawnSync, type SpawnSyncReturns } from "node:child_process";

function hasTorch(python: string): boolean {
  const result = spawnSync(python, ["-c", "import torch"], { encoding: "utf8", timeout: 60_000 });
  return result.status === 0;
}

let found: string | null | undefined;

export function torchPython(): string | null {
  if (found !== undefined) return found;
  const candidates = process.env.NNC_PYTHON ? [process.env.NNC_PYTHON] : ["/usr/bin/python3", "python3", "python"];
  found = candidates.find(hasTorch) ?? null;
  return found;
}

export const NO_TORCH_MESSAGE =
  "no Python with PyTorch was found (tried " +
  (process.env.NNC_PYTHON ?? "/usr/bin/python3, python3, python") +
  "): install Debian's python3-torch (`apt-get install -y python3-torch`) or set NNC_PYTHON; the PyTorch export tests are skipped";

// Whether to skip: never under CI, where a missing torch is a failure.
export function skipWithoutTorch(): boolean {
  if (torchPython()) return false;
  if (process.env.CI) return false;
  console.warn(NO_TORCH_MESSAGE);
  return true;
}

export function requirePython(): string {
  const python = torchPython();
  if (!python) throw new Error(NO_TORCH_MESSAGE.replace("are skipped", "fail under CI"));
  return python;
}

export function runPython(args: string[], options: { cwd?: string; timeout?: number; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
  return spawnSync(requirePython(), args, {
    encoding: "utf8",
    cwd: options.cwd,
    timeout: options.timeout ?? 120_000,
    env: { ...process.env, OMP_NUM_THREADS: "1", ...options.env },
  });
}

export function expectSuccess(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${result.status}${result.signal ? `, ${result.signal}` : ""}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
