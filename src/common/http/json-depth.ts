/**
 * Bodies nested deeper than this are refused before validation. Our deepest DTO
 * (a concert's layout rows) is four levels; class-transformer walks a body recursively,
 * so a few thousand levels of `[[[…]]]` would overflow the stack (a 500) instead.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests arrays or objects more than `maxDepth` levels deep. Iterative: no recursion to overflow. */
export function isNestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
