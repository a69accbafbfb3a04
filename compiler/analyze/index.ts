// The analyzer's entry: checks the declarations of a file as a whole (duplicate models and blocks,
// block shapes), analyzes every model, and warns about blocks nobody uses. The train blocks are
// analyzed by ./train.ts, called from compiler/index.ts with each model's interface.

import type { BlockDecl, ModelDecl, Program } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import { layerRow } from "./layers/index.ts";
import { analyzeModel, type ProgramContext } from "./model.ts";
import type { CheckedModel } from "./model-types.ts";
import { type Budget, DEFAULT_BUDGET } from "./budget.ts";

export function analyzeModels(program: Program, bag: DiagnosticBag, budget: Partial<Budget> = {}): Map<string, CheckedModel> {
  const context: ProgramContext = { blocks: new Map(), brokenBlocks: new Set(), usedBlocks: new Set(), budget: { ...DEFAULT_BUDGET, ...budget } };
  const models = new Map<string, ModelDecl>();
  for (const decl of program.body) {
    if (decl.type === "BlockDecl") declareBlock(decl, context, bag);
    if (decl.type !== "ModelDecl") continue;
    const previous = models.get(decl.name.name);
    if (previous) {
      bag.report("E0205", decl.name.span, { args: { kind: "model", name: decl.name.name }, notes: [bag.note("first declared here", previous.name.span)] });
    } else models.set(decl.name.name, decl);
  }
  const checked = new Map<string, CheckedModel>();
  for (const [name, decl] of models) {
    const model = analyzeModel(decl, context, bag);
    checked.set(name, model);
  }
  // Past a nesting limit the blocks further down were not reached, so they would all look unused.
  const stoppedEarly = bag.items.some((d) => d.code === "E0108");
  for (const [name, block] of context.blocks) {
    if (stoppedEarly) break;
    if (!context.usedBlocks.has(name) && !context.brokenBlocks.has(name)) bag.report("unused-block", block.name.span, { args: { name } });
  }
  return checked;
}

function declareBlock(block: BlockDecl, context: ProgramContext, bag: DiagnosticBag): void {
  const name = block.name.name;
  const previous = context.blocks.get(name);
  if (previous) {
    bag.report("E0205", block.name.span, { args: { kind: "block", name }, notes: [bag.note("first declared here", previous.name.span)] });
    return;
  }
  if (layerRow(name) || name === "repeat") {
    bag.report("E0205", block.name.span, { args: { kind: "layer", name }, hint: "built-in layers cannot be redefined; give the block another name" });
    return;
  }
  context.blocks.set(name, block);
  const seen = new Map<string, BlockDecl["params"][number]>();
  for (const param of block.params) {
    const first = seen.get(param.name.name);
    if (first) {
      bag.report("E0203", param.name.span, { args: { name: param.name.name, scope: "block" }, notes: [bag.note("first defined here", first.name.span)] });
      context.brokenBlocks.add(name);
    } else seen.set(param.name.name, param);
  }
  if (block.params.length === 0) {
    bag.report("E0219", block.name.span, { args: { name }, hint: `write \`block ${name}(x, ...)\`` });
    context.brokenBlocks.add(name);
  }
  const returns = block.body.filter((s) => s.type === "ReturnStatement");
  if (returns.length !== 1 || block.body.at(-1)?.type !== "ReturnStatement") {
    bag.report("E0211", (returns[1] ?? block.name).span, {
      args: { name },
      hint: returns.length === 0 ? "add `return <tensor>` as its last statement" : "a block returns one tensor, in its last statement",
    });
    context.brokenBlocks.add(name);
  }
}
