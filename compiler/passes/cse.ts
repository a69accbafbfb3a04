// Common-subexpression elimination: two nodes with the same op, attributes, inputs, shape and
// dtype compute the same value, so the later one is replaced by the earlier. Gradient rules repeat
// themselves (the ReLU derivative `step(x)` for every use, `dim_size` for every mean), and this
// pass folds the copies. Sources are equal when they name the same tensor; constants when they
// have the same value and shape. Dropout masks are equal only when they are the same draw (the
// same key), which their attributes say.

import type { Graph } from "../ir/graph.ts";
import { applyRewrite, identityRewrite } from "./rewrite.ts";

export function eliminateCommonSubexpressions(graph: Graph): Graph {
  const rewrite = identityRewrite(graph);
  const seen = new Map<string, number>();
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => rewrite.replace[i]);
    const key = `${node.op}|${node.dtype}|${node.shape.join(",")}|${inputs.join(",")}|${JSON.stringify(node.attrs)}`;
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, node.id);
    else rewrite.replace[node.id] = earlier;
  }
  return applyRewrite(graph, rewrite);
}
