/** Deeper than any DTO of ours (a concert's layout rows are four levels) by a wide margin. */
export const MAX_INPUT_DEPTH = 32;

/** In a `u` regex a surrogate pair is one code point, so this matches only a lone surrogate. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Why a parsed body or query cannot be handed to validation safely, or undefined when it can:
 * - nested deeper than MAX_INPUT_DEPTH: class-transformer walks input recursively, so a few
 *   thousand levels of `[[[…]]]` would overflow the stack;
 * - text with a lone UTF-16 surrogate (JSON can escape one, `"\ud800"`): it is not Unicode,
 *   PostgreSQL cannot store it, and validator.js's isEmail throws on it.
 * Iterative, so the check itself cannot overflow.
 */
export function findUnsafeInput(input: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: input, depth: 0 }];
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return 'The request contains text that is not valid Unicode';
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_INPUT_DEPTH) return `The request is nested deeper than ${MAX_INPUT_DEPTH} levels`;
    for (const [key, child] of Object.entries(value)) {
      stack.push({ value: key, depth }, { value: child, depth: depth + 1 });
    }
  }
  return undefined;
}
