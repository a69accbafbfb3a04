// A list of setting values typed on the command line, `sgd(lr: 0.1), adam(lr: 1e-3)`: split at the
// commas that are not inside parentheses, brackets or a string, each value with where it lies in
// the typed text, so that a value's diagnostics can point into what the user typed. `nnc compare
// --vary` and `nnc sweep --space "…=choice(…)"` read their values with it.

export interface ListedValue {
  text: string; // without the spaces around it
  start: number; // offset of its first character in the typed text
  end: number; // one past its last
}

// The values of `typed` between `from` and `to`. Brackets that do not match are left to the parser
// (the value that holds them is kept whole and the parser says what is wrong with it).
export function splitValues(typed: string, from = 0, to = typed.length): ListedValue[] {
  const values: ListedValue[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = from;
  const push = (end: number) => {
    const raw = typed.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const text = raw.trim();
    values.push({ text, start: start + lead, end: start + lead + text.length });
  };
  for (let i = from; i < to; i++) {
    const c = typed[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if ((c === ")" || c === "]") && depth > 0) depth--;
    else if (c === "," && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(to);
  return values;
}

// The text of an override that holds one value of a list, at the columns where the user typed it:
// `typed` (`KEY=v1, v2`) with its `=` read as the space between a setting and its value, and every
// character of the other values turned into a space (`optimizer=sgd(lr: 0.1), adam()` →
// `optimizer               adam()` for the second value). `equals` is the offset of the `=`.
export function isolateValue(typed: string, equals: number, value: { start: number; end: number }): string {
  let text = "";
  for (let i = 0; i < typed.length; i++) {
    const c = typed[i]!;
    if (i < equals || (i >= value.start && i < value.end) || c === "\n") text += c;
    else text += " ";
  }
  return text;
}
