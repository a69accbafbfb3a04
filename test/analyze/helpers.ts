// Runs the model analyzer on hand-built ASTs (./ast-builders.ts).

import type { BlockDecl, Expression, ModelStatement } from "../../grammar/ast.ts";
import { analyzeModels } from "../../compiler/analyze/index.ts";
import type { CheckedModel } from "../../compiler/analyze/model-types.ts";
import { DiagnosticBag } from "../../compiler/diagnostics/registry.ts";
import type { Shape } from "../../compiler/ir/graph.ts";
import * as b from "./ast-builders.ts";

export function analyze(statements: ModelStatement[], blocks: BlockDecl[] = []): { model: CheckedModel; codes: string[]; bag: DiagnosticBag } {
  const bag = new DiagnosticBag("test.nn");
  const models = analyzeModels(b.program(...blocks, b.model("m", ...statements)), bag);
  return { model: models.get("m")!, codes: bag.items.map((d) => d.code), bag };
}

// The shape of `output out = f(x)` for an input x of the given shape, and the errors reported
// (the missing loss and warnings left out).
export function inferShape(inputShape: (number | string)[], f: (x: Expression) => Expression, blocks: BlockDecl[] = []): { shape: Shape | null; codes: string[] } {
  const { model, bag } = analyze([b.input("x", inputShape), b.output("out", f(b.id("x")))], blocks);
  const out = model.outputs.find((o) => o.name === "out");
  const codes = bag.items.filter((d) => d.severity === "error" && d.code !== "E0502").map((d) => d.code);
  return { shape: out ? model.nodes[out.node]!.shape : null, codes };
}
