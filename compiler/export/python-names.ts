// Python spellings: numbers as Python literals, strings as Python string literals, and variable
// names that are valid identifiers and do not shadow what the exported script uses.

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);
// Names the generated code itself uses inside forward().
const TAKEN = new Set(["self", "torch", "nn", "F", "math", "dist", "DDP"]);

export function isKeyword(name: string): boolean {
  return KEYWORDS.has(name);
}

export function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'float("nan")';
  if (value === Infinity) return 'float("inf")';
  if (value === -Infinity) return '-float("inf")';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}`;
  return `${value}`;
}

// A float literal even for whole numbers (1 → 1.0), where Python's type matters (lr, eps, …).
export function pyFloat(value: number): string {
  const text = pyNumber(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

export function pyString(value: string): string {
  return JSON.stringify(value);
}

export function pyBool(value: boolean): string {
  return value ? "True" : "False";
}

export function pyList(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}

// Gives out unique Python identifiers based on nnc's names.
export class Identifiers {
  private readonly used = new Set<string>(TAKEN);

  take(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
    if (KEYWORDS.has(name) || this.used.has(name)) {
      let i = 1;
      while (this.used.has(`${name}_${i}`)) i++;
      name = `${name}_${i}`;
    }
    this.used.add(name);
    return name;
  }
}
