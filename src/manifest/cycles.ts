/**
 * The dependency cycles of a graph (node -> the nodes it depends on), one per back edge found by a depth-first
 * walk in the graph's order. Each cycle is listed once, starting at its earliest node, so `a -> b -> a` is
 * reported the same way whichever service the walk met first. Self-loops and edges to unknown nodes are
 * skipped: other rules report those.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const rank = new Map([...graph.keys()].map((node, index) => [node, index]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found = new Map<string, string[]>();

  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (next === node || !graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === "open") {
        const cycle = startAtEarliest(stack.slice(stack.indexOf(next)), rank);
        found.set(cycle.join("\u0000"), cycle);
      } else if (seen === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, "done");
  };

  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return [...found.values()];
}

function startAtEarliest(cycle: string[], rank: ReadonlyMap<string, number>): string[] {
  let start = 0;
  cycle.forEach((node, index) => {
    if ((rank.get(node) ?? 0) < (rank.get(cycle[start] ?? "") ?? 0)) start = index;
  });
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}
