// The pass pipeline: a list of named, pure IR → IR passes run in order. Any step can be dumped by
// name (`nnc check --dump-ir=after:cse`), and a backend picks the list it needs.

import type { Graph } from "../ir/graph.ts";
import { eliminateCommonSubexpressions } from "./cse.ts";
import { eliminateDeadCode } from "./dce.ts";

export interface Pass {
  name: string;
  run(graph: Graph): Graph;
}

export const PASSES = {
  dce: { name: "dce", run: eliminateDeadCode },
  cse: { name: "cse", run: eliminateCommonSubexpressions },
} satisfies Record<string, Pass>;

export type PassName = keyof typeof PASSES;

// What every backend runs on a step graph before its own lowering.
export const STANDARD_PIPELINE: PassName[] = ["cse", "dce"];

// Runs the passes in order; `after(name, graph)` sees the graph after each one (for dumps).
export function runPasses(graph: Graph, names: readonly PassName[], after?: (name: PassName, graph: Graph) => void): Graph {
  let current = graph;
  for (const name of names) {
    current = PASSES[name].run(current);
    after?.(name, current);
  }
  return current;
}
