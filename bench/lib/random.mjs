import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';

/** A seeded generator of numbers in [0, 1), so that two runs make the same choices. */
export function seededRandom(seed) {
  const generator = mersenne(seed);
  return () => uniformFloat64(generator);
}

/** An integer in [min, max]. */
export const randomInt = (random, min, max) => min + Math.floor(random() * (max - min + 1));

/** `count` distinct items of `items`, in random order. */
export function sample(random, items, count) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}
