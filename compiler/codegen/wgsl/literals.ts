// f32 values as WGSL literals. A literal is the shortest decimal that rounds to the same f32 as
// the CPU runtime's Float32Array would hold, so a constant means the same number on both
// backends. WGSL has no literal for infinities and NaN, and rejects them in constant expressions,
// so they come from functions of the prelude (expressions.ts) that bit-cast a private variable.

export function f32(value: number): string {
  const rounded = Math.fround(value);
  if (Number.isNaN(rounded)) return "f32_nan()";
  if (rounded === Infinity) return "f32_inf()";
  if (rounded === -Infinity) return "(-f32_inf())";
  if (Object.is(rounded, -0)) return "-0.0f";
  let text = shortestF32(rounded);
  if (!/[.e]/.test(text)) text += ".0";
  return rounded < 0 ? `(${text}f)` : `${text}f`;
}

// The shortest decimal string that parses back to exactly this f32.
function shortestF32(value: number): string {
  for (let digits = 1; digits <= 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return normalize(text);
  }
  return normalize(value.toPrecision(9));
}

// toPrecision writes "1.00e+5" and "0.000100"; WGSL takes "1.00e5" and the plain forms.
function normalize(text: string): string {
  return text.replace("e+", "e");
}
