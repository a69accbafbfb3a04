// Where the autotuner keeps its choices, so a second run does not time the candidates again: one
// JSON file per adapter, `$XDG_CACHE_HOME/nnc/autotune-<adapter hash>.json` (~/.cache when
// XDG_CACHE_HOME is unset), in Node; localStorage in a browser; memory where neither exists.
// `NNC_AUTOTUNE_CACHE` relocates the file (a path) or turns the disk off ("off"). A cache that
// cannot be read or written is ignored: it only saves time.

import type { AdapterDescription } from "./device.ts";

export interface TunedChoice {
  variant: string; // the fastest, by variantName
  ms: Record<string, number>; // each candidate's time per dispatch, for reports
}

export interface AutotuneCache {
  get(key: string): TunedChoice | undefined;
  set(key: string, choice: TunedChoice): void;
  where: string; // for reports: a path, "localStorage" or "memory"
}

const FORMAT = 1;
const memory = new Map<string, Map<string, TunedChoice>>(); // per adapter, shared by the process's programs

// Two 32-bit FNV-1a hashes with different offsets, side by side: a short stable name for a text,
// not a security measure.
export function hashText(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

export function adapterKey(adapter: AdapterDescription): string {
  return hashText(JSON.stringify([adapter.vendor, adapter.architecture, adapter.device, adapter.description, adapter.subgroupSize]));
}

export async function openAutotuneCache(adapter: AdapterDescription): Promise<AutotuneCache> {
  const key = adapterKey(adapter);
  let entries = memory.get(key);
  const fresh = !entries;
  if (!entries) memory.set(key, (entries = new Map()));
  const inMemory = entries;
  const storage = await persistentStore(key);
  if (fresh && storage) for (const [k, v] of Object.entries(storage.load())) inMemory.set(k, v);
  return {
    where: storage?.where ?? "memory",
    get: (k) => inMemory.get(k),
    set(k, choice) {
      inMemory.set(k, choice);
      storage?.save(Object.fromEntries(inMemory));
    },
  };
}

interface Store {
  where: string;
  load(): Record<string, TunedChoice>;
  save(entries: Record<string, TunedChoice>): void;
}

async function persistentStore(adapter: string): Promise<Store | null> {
  const setting = typeof process !== "undefined" ? process.env?.NNC_AUTOTUNE_CACHE : undefined;
  if (setting === "off" || setting === "0") return null;
  const local = (globalThis as { localStorage?: Storage }).localStorage;
  if (typeof process === "undefined" || !process.versions?.node) {
    if (!local) return null;
    const name = `nnc-autotune-${adapter}`;
    return {
      where: "localStorage",
      load: () => parse(local.getItem(name)),
      save: (entries) => tryTo(() => local.setItem(name, JSON.stringify({ format: FORMAT, entries }))),
    };
  }
  const fs = await import("node:fs");
  const path = await import("node:path");
  const os = await import("node:os");
  const file = setting || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "nnc", `autotune-${adapter}.json`);
  return {
    where: file,
    load: () => parse(tryTo(() => fs.readFileSync(file, "utf8")) ?? null),
    save: (entries) =>
      tryTo(() => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`; // written whole, then renamed: readers never see half a file
        fs.writeFileSync(temporary, JSON.stringify({ format: FORMAT, entries }, null, 1));
        fs.renameSync(temporary, file);
      }),
  };
}

function parse(text: string | null): Record<string, TunedChoice> {
  if (!text) return {};
  const data = tryTo(() => JSON.parse(text) as { format?: number; entries?: Record<string, TunedChoice> });
  return data?.format === FORMAT && data.entries ? data.entries : {};
}

function tryTo<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
