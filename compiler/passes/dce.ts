// Dead-code elimination: drops every node that no output or update needs (autodiff leaves such
// nodes behind, e.g. the gradient of a node whose only user was discarded).

import type { Graph } from "../ir/graph.ts";
import { applyRewrite, identityRewrite, liveNodes } from "./rewrite.ts";

export function eliminateDeadCode(graph: Graph): Graph {
  const rewrite = identityRewrite(graph);
  rewrite.keep = liveNodes(graph);
  return applyRewrite(graph, rewrite);
}
