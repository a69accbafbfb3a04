// The best trial's configuration as a `train` block to paste into the file: the block as the file
// has it, each setting the command line or the sweep gave replaced in place (a new one added at
// the end), formatted by nnc's formatter (format/, what `nnc fmt` writes). A `regularize` from the
// sweep or a --set is a statement of the model, not a setting, so it comes as a comment above the
// block saying which statements it replaces.

import type { TrainDecl } from "../../grammar/ast.ts";
import { formatNn } from "../../format/plugin.ts";

// `settings`: KEY → VALUE, the command line's and then the trial's (a later one wins).
export async function bestTrainBlock(source: string, file: string, decl: TrainDecl, settings: ReadonlyMap<string, string>): Promise<string> {
  const lines: string[] = [];
  const given = new Map(settings);
  const regularize = given.get("regularize");
  given.delete("regularize");
  for (const setting of decl.settings) {
    const key = setting.key.name;
    const value = given.get(key);
    lines.push(value === undefined ? source.slice(setting.span.start, setting.span.end) : `${key} ${value}`);
    given.delete(key);
  }
  for (const [key, value] of given) lines.push(`${key} ${value}`);
  const block = `train ${decl.model.name} {\n${lines.map((line) => `  ${line}`).join("\n")}\n}\n`;
  let formatted: string;
  try {
    formatted = await formatNn(block, file);
  } catch {
    // Every value was checked by the compiler; the block as written is still right if the
    // formatter refuses it.
    formatted = block;
  }
  const note =
    regularize === undefined
      ? ""
      : regularize.trim() === "none"
        ? `# and in model ${decl.model.name}: no regularize statements\n`
        : `# and in model ${decl.model.name}, in place of its regularize statements: regularize ${regularize}\n`;
  return note + formatted;
}
