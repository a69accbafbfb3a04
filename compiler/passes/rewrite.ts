// The one mechanism every graph pass uses to produce its result: keep some nodes, send the uses of
// others to a replacement, and renumber what is left so ids stay dense and topological. Passes
// decide what to keep and replace; this file owns the bookkeeping of every place a graph names a
// node (node inputs, inputs, parameters, state, outputs and updates).

import { InternalError } from "../diagnostics/diagnostic.ts";
import type { Graph } from "../ir/graph.ts";

export interface Rewrite {
  // keep[id] = 1 for the nodes that stay.
  keep: Uint8Array;
  // replace[id] = the node that takes id's place in every use (itself when unchanged). A
  // replacement must come before the node it replaces, so the order stays topological.
  replace: Int32Array;
}

export function identityRewrite(graph: Graph): Rewrite {
  const n = graph.nodes.length;
  const replace = new Int32Array(n);
  for (let id = 0; id < n; id++) replace[id] = id;
  return { keep: new Uint8Array(n).fill(1), replace };
}

// A new graph; `graph` is not changed.
export function applyRewrite(graph: Graph, { keep, replace }: Rewrite): Graph {
  const renumber = new Int32Array(graph.nodes.length).fill(-1);
  const nodes: Graph["nodes"] = [];
  for (const node of graph.nodes) {
    if (!keep[node.id] || replace[node.id] !== node.id) continue;
    renumber[node.id] = nodes.length;
    nodes.push({ ...node, id: nodes.length, shape: [...node.shape], inputs: node.inputs.map((i) => to(i)) });
  }
  function to(id: number): number {
    const target = replace[id]!;
    const renumbered = renumber[target]!;
    if (renumbered < 0) throw new InternalError(`a rewrite dropped node ${target}, which is still used`);
    return renumbered;
  }
  return {
    ...graph,
    nodes,
    inputs: graph.inputs.map((i) => ({ ...i, shape: [...i.shape], node: to(i.node) })),
    params: graph.params.map((p) => ({ ...p, shape: [...p.shape], node: to(p.node) })),
    state: graph.state.map((s) => ({ ...s, shape: [...s.shape], node: to(s.node) })),
    outputs: Object.fromEntries(Object.entries(graph.outputs).map(([name, id]) => [name, to(id)])),
    stateUpdates: graph.stateUpdates.map((u) => ({ name: u.name, node: to(u.node) })),
    paramUpdates: graph.paramUpdates.map((u) => ({ name: u.name, node: to(u.node) })),
  };
}

// The nodes a graph's results are made of: its outputs and updates, and everything they use.
// Sources the graph declares (inputs, parameters, state) count as results, so their records stay.
export function liveNodes(graph: Graph): Uint8Array {
  const live = new Uint8Array(graph.nodes.length);
  const roots = [
    ...Object.values(graph.outputs),
    ...graph.stateUpdates.map((u) => u.node),
    ...graph.paramUpdates.map((u) => u.node),
    ...graph.inputs.map((i) => i.node),
    ...graph.params.map((p) => p.node),
    ...graph.state.map((s) => s.node),
  ];
  for (const id of roots) live[id] = 1;
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (live[id]) for (const input of graph.nodes[id]!.inputs) live[input] = 1;
  }
  return live;
}
