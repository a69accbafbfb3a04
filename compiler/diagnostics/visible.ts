// Source text shown in a terminal: a file's control characters (escape sequences, carriage returns,
// backspaces) and invisible formatting characters (zero-width spaces, bidirectional overrides)
// must not reach the terminal as they are, where they could rewrite what is shown or hide text.
// Each is shown as a visible stand-in instead: a control character as its Unicode control picture
// (ESC as `␛`, one column, so carets stay aligned) and an invisible one as `<U+200B>`.

// C0 controls but tab and line feed, DEL, C1 controls, and the formatting and separator characters that take no
// room or reorder text.
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");

// The stand-in for one character (the character itself when it is safe to print).
export function visibleChar(char: string): string {
  if (!HIDDEN.test(char)) return char;
  const code = char.codePointAt(0)!;
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return `<${codePoint(code)}>`;
}

export function visibleText(text: string): string {
  return text.replace(HIDDEN_ALL, visibleChar);
}

export function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

const NAMES: Record<number, string> = {
  0x00: "null",
  0x07: "bell",
  0x08: "backspace",
  0x0b: "vertical tab",
  0x0c: "form feed",
  0x0d: "carriage return",
  0x1b: "escape",
  0x7f: "delete",
  0xa0: "no-break space",
  0xad: "soft hyphen",
  0x200b: "zero width space",
  0x200c: "zero width non-joiner",
  0x200d: "zero width joiner",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x2028: "line separator",
  0x2029: "paragraph separator",
  0x202a: "left-to-right embedding",
  0x202b: "right-to-left embedding",
  0x202c: "pop directional formatting",
  0x202d: "left-to-right override",
  0x202e: "right-to-left override",
  0x2060: "word joiner",
  0x2066: "left-to-right isolate",
  0x2067: "right-to-left isolate",
  0x2068: "first strong isolate",
  0x2069: "pop directional isolate",
  0x3000: "ideographic space",
  0xfeff: "zero width no-break space (byte order mark)",
  0xfffd: "replacement character",
};

// A character in a message, visible whatever it is: `` `@` ``, or `U+200B (zero width space)` for
// one that cannot be seen or would act on the terminal.
export function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const name = NAMES[code];
  if (name) return `${codePoint(code)} (${name})`;
  if (HIDDEN.test(char)) return `${codePoint(code)} (${code < 0xa0 ? "a control character" : "an invisible formatting character"})`;
  if (/[\p{Z}\p{C}\p{M}]/u.test(char) || /\s/u.test(char)) return `${codePoint(code)} (an invisible or combining character)`;
  return `\`${char}\``;
}
