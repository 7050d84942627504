import { isNestedDeeperThan } from './json-depth.js';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('isNestedDeeperThan', () => {
  it('counts every array and object level', () => {
    expect(isNestedDeeperThan(nested(3), 3)).toBe(false);
    expect(isNestedDeeperThan(nested(4), 3)).toBe(true);
  });

  it('counts a scalar (or no body) as no level and an empty object or array as one', () => {
    for (const value of [undefined, null, 'text', 42]) expect(isNestedDeeperThan(value, 0)).toBe(false);
    expect(isNestedDeeperThan({}, 0)).toBe(true);
    expect(isNestedDeeperThan([], 1)).toBe(false);
  });

  it('walks a hostile depth without overflowing the stack', () => {
    expect(isNestedDeeperThan(nested(100_000), 32)).toBe(true);
  });
});
