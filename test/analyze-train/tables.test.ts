// The train analyzer's tables are the reference for the language's training settings: each entry
// and argument must be documented in the table itself and mentioned in docs/LANGUAGE.md, and each
// alias must point at a real argument.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLIP_RULES, DATA_SOURCES, OPTIMIZERS, SCHEDULES, SETTINGS, STOP_RULES, type TrainSignature } from "../../compiler/analyze/train.ts";

const doc = readFileSync(new URL("../../docs/LANGUAGE.md", import.meta.url), "utf8");
const tables: Record<string, Record<string, TrainSignature>> = { SETTINGS, OPTIMIZERS, SCHEDULES, DATA_SOURCES, STOP_RULES, CLIP_RULES };

describe("train tables", () => {
  for (const [tableName, table] of Object.entries(tables)) {
    it(`${tableName}: every entry and argument has a doc line`, () => {
      for (const [name, signature] of Object.entries(table)) {
        expect(signature.name, `${tableName}.${name}`).toBe(name);
        expect(signature.doc.length, `${tableName}.${name}`).toBeGreaterThan(0);
        for (const param of signature.params) expect(param.doc.length, `${name}.${param.name}`).toBeGreaterThan(0);
        for (const [alias, target] of Object.entries(signature.aliases ?? {})) {
          expect(signature.params.map((p) => p.name), `${name}: alias ${alias}`).toContain(target);
        }
      }
    });

    it(`${tableName}: docs/LANGUAGE.md mentions every entry and argument`, () => {
      const missing: string[] = [];
      for (const [name, signature] of Object.entries(table)) {
        if (!new RegExp(`\\b${name}\\b`).test(doc)) missing.push(name);
        // A setting's own parameter is a placeholder in the docs (`batch N`); only calls' names matter.
        if (tableName === "SETTINGS" && name !== "split" && name !== "checkpoint") continue;
        for (const param of signature.params) {
          if (!new RegExp(`\\b${param.name}\\b`).test(doc)) missing.push(`${name}.${param.name}`);
        }
        for (const alias of Object.keys(signature.aliases ?? {})) if (!doc.includes(alias)) missing.push(`${name}.${alias}`);
      }
      expect(missing).toEqual([]);
    });
  }

  it("requires exactly data and optimizer", () => {
    expect(Object.values(SETTINGS).filter((s) => s.required).map((s) => s.name)).toEqual(["data", "optimizer"]);
  });
});
