import { canonicalJson, hashRequest } from './request-hash.js';

describe('hashRequest', () => {
  it('ignores the order of object keys at every level', () => {
    expect(hashRequest('s', { a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      hashRequest('s', { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('tells apart different values, array orders and scopes', () => {
    const base = hashRequest('s', { ids: [1, 2] });
    expect(hashRequest('s', { ids: [2, 1] })).not.toBe(base);
    expect(hashRequest('s', { ids: [1, 3] })).not.toBe(base);
    expect(hashRequest('t', { ids: [1, 2] })).not.toBe(base);
  });

  it('hashes a DTO instance like the plain object it carries', () => {
    class Dto {
      amount = 5;
    }
    expect(canonicalJson(new Dto())).toBe('{"amount":5}');
  });
});
