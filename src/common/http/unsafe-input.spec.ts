import { findUnsafeInput, MAX_INPUT_DEPTH } from './unsafe-input.js';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('findUnsafeInput', () => {
  it('accepts ordinary bodies, scalars and no body at all', () => {
    for (const input of [undefined, null, 42, 'text', { email: 'ann@example.com', seatIds: ['a', 'b'] }]) {
      expect(findUnsafeInput(input)).toBeUndefined();
    }
    expect(findUnsafeInput(nested(MAX_INPUT_DEPTH))).toBeUndefined();
  });

  it('refuses nesting beyond the limit, however deep, without overflowing itself', () => {
    expect(findUnsafeInput(nested(MAX_INPUT_DEPTH + 1))).toMatch(/nested deeper than 32 levels/);
    expect(findUnsafeInput(nested(200_000))).toMatch(/nested deeper/);
  });

  it('refuses a lone surrogate in a value or a key, and accepts a proper pair', () => {
    expect(findUnsafeInput({ email: 'a\ud800@example.com' })).toMatch(/not valid Unicode/);
    expect(findUnsafeInput({ ['\udc00']: 1 })).toMatch(/not valid Unicode/);
    expect(findUnsafeInput([['\ud83d']])).toMatch(/not valid Unicode/);
    expect(findUnsafeInput({ name: 'Concert 🎵' })).toBeUndefined();
  });
});
