import fc from 'fast-check';
import { BUCKET_BITS, DepartureIndex } from './departure-index.js';

/** Builds the masks the database would hold for these departed tickets. */
function masksOf(tickets: number[]): Map<number, bigint> {
  const masks = new Map<number, bigint>();
  for (const ticket of tickets) {
    const bucket = Math.floor(ticket / BUCKET_BITS);
    const bit = BigInt.asIntN(64, 1n << BigInt(ticket % BUCKET_BITS));
    masks.set(bucket, BigInt.asIntN(64, (masks.get(bucket) ?? 0n) | bit));
  }
  return masks;
}

describe('DepartureIndex', () => {
  it('counts departures below a ticket exactly, across and inside buckets', () => {
    const index = new DepartureIndex();
    for (const [bucket, mask] of masksOf([1, 2, 31, 32, 33, 63, 64, 200])) index.setBucket(bucket, mask);
    expect(index.departedBelow(1)).toBe(0);
    expect(index.departedBelow(2)).toBe(1);
    expect(index.departedBelow(32)).toBe(3);
    expect(index.departedBelow(33)).toBe(4);
    expect(index.departedBelow(63)).toBe(5);
    expect(index.departedBelow(64)).toBe(6);
    expect(index.departedBelow(65)).toBe(7);
    expect(index.departedBelow(10_000)).toBe(8);
    expect(index.total).toBe(8);
    expect([63, 64, 65].map((ticket) => index.hasDeparted(ticket))).toEqual([true, true, false]);
  });

  it('takes a bucket again with more bits set (a later read of the same row)', () => {
    const index = new DepartureIndex();
    index.setBucket(3, 1n);
    index.setBucket(3, 3n);
    expect(index.total).toBe(2);
    expect(index.departedBelow(3 * BUCKET_BITS + 5)).toBe(2);
  });

  it('agrees with a recount for any departures, in any order of bucket updates', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 5_000 }), { maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 5_100 }), { minLength: 1, maxLength: 50 }),
        (departed, probes) => {
          const index = new DepartureIndex();
          // Applied in two halves, as two refreshes would see them.
          const half = departed.slice(0, departed.length >> 1);
          for (const [bucket, mask] of masksOf(half)) index.setBucket(bucket, mask);
          for (const [bucket, mask] of [...masksOf(departed)].reverse()) index.setBucket(bucket, mask);
          for (const ticket of probes) {
            expect(index.departedBelow(ticket)).toBe(departed.filter((d) => d < ticket).length);
            expect(index.hasDeparted(ticket)).toBe(departed.includes(ticket));
          }
          expect(index.total).toBe(departed.length);
        },
      ),
    );
  });
});
