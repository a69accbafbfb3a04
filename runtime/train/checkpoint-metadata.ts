// Reading a checkpoint's `__metadata__` back with every field checked. A file may have been edited
// by hand or crafted, so each field's JSON is checked against what nnc writes, and a wrong one is a
// CheckpointError naming the file and the field ("its metadata `progress` …") rather than a stack
// trace later, when the run uses the value. The standardizer is checked here too, as it is applied
// to every input.

import type { Standardizer } from "../data/standardize.ts";
import { decodeJson } from "./json-numbers.ts";
import { CheckpointError } from "./safetensors-codec.ts";

// The optimizers a checkpoint may have been saved by (OptimizerConfig["kind"]).
const OPTIMIZER_KINDS = ["sgd", "adagrad", "adam", "adamw", "rmsprop", "lbfgs"];
const MAX_SEED = 4294967295;

export interface SavedOptimizerMetadata {
  kind: string;
  scalars: Record<string, number>;
  slots?: Record<string, number>;
}

// Format 3: where a checkpoint's optimizer state is (the companion file's name when it was written,
// the optimizer's kind, and the SHA-256 of the companion's bytes, which ties the pair together).
export interface OptimizerFileReference {
  file: string;
  kind: string;
  sha256: string;
}

// One reader per file: `json(key)` decodes a field (undefined when absent), `fail(key, problem)`
// reports it.
export class MetadataReader {
  constructor(
    private readonly path: string,
    private readonly metadata: Record<string, string>,
  ) {}

  fail(key: string, problem: string): never {
    throw new CheckpointError(this.path, `its metadata \`${key}\` ${problem}`);
  }

  json(key: string): unknown {
    const text = this.metadata[key];
    if (text === undefined) return undefined;
    try {
      return decodeJson(text);
    } catch {
      return this.fail(key, "is not valid JSON");
    }
  }

  names(key: string): string[] {
    const value = this.json(key);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) this.fail(key, "must be a list of tensor names");
    return value as string[];
  }

  progress(): { epoch: number; step: number } {
    const value = this.json("progress");
    if (value === undefined) return { epoch: 0, step: 0 };
    const { epoch, step } = (isRecord(value) ? value : {}) as { epoch?: unknown; step?: unknown };
    if (!isRecord(value) || !isCount(epoch) || !isCount(step)) {
      this.fail("progress", "must be an object with whole numbers `epoch` and `step` (≥ 0)");
    }
    return { epoch: epoch as number, step: step as number };
  }

  seed(): number | null {
    const value = this.json("seed");
    if (value === undefined || value === null) return null;
    if (!isCount(value) || (value as number) > MAX_SEED) this.fail("seed", `must be a whole number from 0 to ${MAX_SEED}`);
    return value as number;
  }

  // A map of names to numbers (the schedule's and early stopping's state); null when absent.
  numbers(key: string): Record<string, number> | null {
    const value = this.json(key);
    if (value === undefined || value === null) return null;
    if (!isNumberRecord(value)) this.fail(key, "must be an object whose values are numbers");
    return value as Record<string, number>;
  }

  // Format 3's standardization, `{"mean": [...], "std": [...]}`; null when absent. Its values are
  // checked by checkStandardizer.
  standardizer(): Standardizer | null {
    const value = this.json("standardize");
    if (value === undefined || value === null) return null;
    const { mean, std } = (isRecord(value) ? value : {}) as { mean?: unknown; std?: unknown };
    const numbers = (list: unknown) => Array.isArray(list) && list.every((n) => typeof n === "number");
    if (!numbers(mean) || !numbers(std)) this.fail("standardize", "must be an object with two lists of numbers, `mean` and `std`");
    return { mean: Float32Array.from(mean as number[]), std: Float32Array.from(std as number[]) };
  }

  // Format 3's reference to the optimizer state in the companion file; null when the checkpoint
  // has none (weights only).
  optimizerFile(): OptimizerFileReference | null {
    const value = this.json("optimizer_file");
    if (value === undefined || value === null) return null;
    const { file, kind, sha256 } = (isRecord(value) ? value : {}) as Record<string, unknown>;
    if (typeof file !== "string" || typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
      this.fail("optimizer_file", "must be an object with the companion's `file` name and its `sha256` (64 hex digits)");
    }
    if (typeof kind !== "string" || !OPTIMIZER_KINDS.includes(kind)) {
      this.fail("optimizer_file", `must name the optimizer's \`kind\` (one of ${OPTIMIZER_KINDS.join(", ")}), but it has ${JSON.stringify(kind ?? null)}`);
    }
    return { file: file as string, kind: kind as string, sha256: sha256 as string };
  }

  // The optimizer's kind, scalars and slot counts. `maxCount` bounds a slot's tensor count (the
  // file cannot hold more tensors than it has).
  optimizer(maxCount: number): SavedOptimizerMetadata | null {
    const value = this.json("optimizer");
    if (value === undefined || value === null) return null;
    if (!isRecord(value)) this.fail("optimizer", "must be an object with `kind` and `scalars`");
    const { kind, scalars, slots } = value as Record<string, unknown>;
    if (typeof kind !== "string" || !OPTIMIZER_KINDS.includes(kind)) {
      this.fail("optimizer", `must name the optimizer's \`kind\` (one of ${OPTIMIZER_KINDS.join(", ")}), but it has ${JSON.stringify(kind ?? null)}`);
    }
    if (!isNumberRecord(scalars)) this.fail("optimizer", "must have `scalars`, an object whose values are numbers");
    if (slots !== undefined && !(isRecord(slots) && Object.values(slots).every((n) => isCount(n) && (n as number) <= maxCount))) {
      this.fail("optimizer", `has \`slots\` that are not tensor counts (whole numbers from 0 to ${maxCount})`);
    }
    return { kind: kind as string, scalars: scalars as Record<string, number>, slots: slots as Record<string, number> | undefined };
  }
}

// A standardizer must have one finite mean and one finite, positive std per feature; `width` is
// the model's input width when known.
export function checkStandardizer(path: string, standardizer: Standardizer, width: number | null): void {
  const { mean, std } = standardizer;
  const fail = (problem: string): never => {
    throw new CheckpointError(path, `its standardization ${problem}`);
  };
  if (mean.length !== std.length) fail(`has ${mean.length} means but ${std.length} standard deviations`);
  if (width !== null && mean.length !== width) fail(`is for ${mean.length} input features, but the model takes ${width}`);
  const badMean = mean.findIndex((m) => !Number.isFinite(m));
  if (badMean >= 0) fail(`has the mean ${mean[badMean]} for feature ${badMean}; it must be a finite number`);
  const badStd = std.findIndex((s) => !(Number.isFinite(s) && s > 0));
  if (badStd >= 0) fail(`has the standard deviation ${std[badStd]} for feature ${badStd}; it must be a finite number > 0`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isNumberRecord(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every((n) => typeof n === "number");
}
