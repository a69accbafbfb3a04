// The one number syntax of data files, shared by training (runtime/data/csv.ts) and `nnc predict`,
// so a file that trains also predicts and the other way round: a decimal number with an optional
// exponent (`3`, `-0.5`, `.5`, `1e-3`). Hexadecimal (`0x10`), `NaN`, `Infinity` and empty cells
// are refused, and so is a value beyond the range of 32-bit floats (about ±3.4e38), which nnc
// computes in: it would become Infinity and show up later as a diverging loss.

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

// The cell's value, or NaN when nnc does not read it as a number (numberProblem says why).
export function parseNumber(text: string): number {
  if (!DECIMAL.test(text)) return Number.NaN;
  const value = Number(text);
  return Number.isFinite(Math.fround(value)) ? value : Number.NaN;
}

// Why parseNumber(text) is NaN, as the message of a DataError.
export function numberProblem(text: string): string {
  if (text === "") return "the cell is empty";
  if (!DECIMAL.test(text)) return `"${text}" is not a number`;
  return `${text} is beyond the range of 32-bit floats (about ±3.4e38), which nnc computes in`;
}
