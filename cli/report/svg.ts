// SVG and HTML written as strings, with no DOM: an element is its name, its attributes and its
// children, each child on a line of its own (indented), so a golden file's diff shows which element
// changed. Text and attribute values are escaped here and nowhere else.

export type Attributes = Record<string, string | number | null | undefined>;

export function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

// A coordinate as drawn: two decimals (a hundredth of a pixel), without trailing zeros.
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

// `<name attributes>children</name>`; null and undefined attributes are left out. `children` are
// elements (one per line, indented) or, as a string, escaped text.
export function element(name: string, attributes: Attributes, children: string[] | string = []): string {
  const attrs = Object.entries(attributes)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join("");
  if (typeof children === "string") return `<${name}${attrs}>${escapeXml(children)}</${name}>`;
  if (children.length === 0) return `<${name}${attrs}/>`;
  const inner = children.map((child) => child.replace(/^/gm, "  ")).join("\n");
  return `<${name}${attrs}>\n${inner}\n</${name}>`;
}
