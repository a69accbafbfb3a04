// Offsets to 1-based lines and columns, in O(log n) per lookup: the starts of the lines and the
// places of the characters outside the Basic Multilingual Plane (two UTF-16 units, one column) are
// indexed once per file, so a file with many diagnostics is not read again for each.

export interface Position {
  line: number;
  column: number; // counts characters (code points), not UTF-16 units or bytes
}

// Steps taken by the lookups, so tests can check that the cost of printing many diagnostics grows
// with their number times a logarithm, not with the file's size (test/errors/work.test.ts).
export const lookupWork = { steps: 0 };

export class LineIndex {
  private readonly starts: number[] = [0];
  private readonly astral: number[] = []; // offsets of the first unit of each surrogate pair

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit === 10) this.starts.push(i + 1);
      else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next < 0xe000) this.astral.push(i++);
      }
    }
  }

  // The 0-based line of an offset.
  lineOf(offset: number): number {
    return countAtMost(this.starts, Math.max(0, Math.min(offset, this.text.length))) - 1;
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineOf(clamped);
    const start = this.starts[line]!;
    // Every surrogate pair wholly before `clamped` on this line is one column, not two.
    const pairs = countAtMost(this.astral, clamped - 2) - countAtMost(this.astral, start - 1);
    return { line: line + 1, column: clamped - start - pairs + 1 };
  }

  // The text of a 1-based line, without its line break.
  line(n: number): string {
    const start = this.starts[n - 1] ?? this.text.length;
    const next = this.starts[n];
    return this.text.slice(start, next === undefined ? this.text.length : next - 1).replace(/\r$/, "");
  }
}

// How many of the sorted `values` are ≤ `limit` (a binary search).
function countAtMost(values: number[], limit: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    lookupWork.steps++;
    const mid = (low + high) >> 1;
    if (values[mid]! <= limit) low = mid + 1;
    else high = mid;
  }
  return low;
}
