// Role inheritance as a graph: cycle detection for writes and compilation alike.

/**
 * A cycle in `inherits` (role -> the roles it includes), as the list of role names starting
 * and ending with the same role ("a", "b", "a"), or undefined. With `from`, only cycles
 * reachable from that role are looked for.
 */
export function findInheritanceCycle(inherits: ReadonlyMap<string, readonly string[]>, from?: string): string[] | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();

  const visit = (role: string): string[] | undefined => {
    if (onStack.has(role)) return [...stack.slice(stack.indexOf(role)), role];
    if (done.has(role)) return undefined;
    stack.push(role);
    onStack.add(role);
    for (const parent of inherits.get(role) ?? []) {
      const cycle = visit(parent);
      if (cycle !== undefined) return cycle;
    }
    stack.pop();
    onStack.delete(role);
    done.add(role);
    return undefined;
  };

  const starts = from !== undefined ? [from] : [...inherits.keys()].sort();
  for (const role of starts) {
    const cycle = visit(role);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}
