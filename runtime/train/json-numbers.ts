// JSON for checkpoint metadata that keeps non-finite numbers. Plain JSON.stringify writes
// Infinity and NaN as null, which would turn an early-stopping "best so far" of Infinity (no epoch
// measured yet) or a NaN metric into a different value after a resume. Here they are written as
// the strings "Infinity", "-Infinity" and "NaN" and read back as numbers. Metadata fields that
// hold text (names) are not passed through these functions.

const NON_FINITE: Record<string, number> = { Infinity: Infinity, "-Infinity": -Infinity, NaN: NaN };

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (typeof v === "string" && v in NON_FINITE ? NON_FINITE[v] : v));
}
