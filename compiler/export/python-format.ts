// Line length for the generated Python, in black's style: a line longer than the limit that ends
// in a call has its arguments moved to the next line, indented, or one per line with a trailing
// comma when they still do not fit, and the same again inside an argument that is itself too
// long. Comments, docstrings and lines that do not end in a call are left as they are.

export const LINE_LIMIT = 100;

export function wrapLongLines(text: string): string {
  const out: string[] = [];
  let inDocstring = false;
  for (const line of text.split("\n")) {
    const quotes = (line.match(/"""/g) ?? []).length;
    if (inDocstring || quotes > 0) {
      out.push(line);
      if (quotes % 2 === 1) inDocstring = !inDocstring;
      continue;
    }
    out.push(wrap(line));
  }
  return out.join("\n");
}

function wrap(line: string): string {
  if (line.length <= LINE_LIMIT || line.trimStart().startsWith("#")) return line;
  const indent = line.match(/^ */)![0];
  const call = outerCall(line);
  if (!call) return line;
  const inner = `${indent}    `;
  const together = `${inner}${call.args.join(", ")}`;
  if (together.length <= LINE_LIMIT) return `${call.head}\n${together}\n${indent})`;
  const each = call.args.map((arg) => wrap(`${inner}${arg}`) + ",");
  return `${call.head}\n${each.join("\n")}\n${indent})`;
}

// The outermost bracketed call that closes at the end of the line: its head (up to and including
// the opening parenthesis) and its top-level arguments.
function outerCall(line: string): { head: string; args: string[] } | null {
  if (!line.endsWith(")")) return null;
  let depth = 0;
  let quote: string | null = null;
  let open = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[" || c === "{") {
      if (depth === 0 && c === "(" && open < 0) open = i;
      depth++;
    } else if (c === ")" || c === "]" || c === "}") {
      depth--;
      // The first opening parenthesis must close exactly at the end.
      if (depth === 0 && open >= 0 && i !== line.length - 1) return null;
    }
  }
  if (open < 0 || depth !== 0) return null;
  const args = splitTopLevel(line.slice(open + 1, -1));
  return args.length ? { head: line.slice(0, open + 1), args } : null;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}
