/** Tickets per departure bucket: one bit each in a 64-bit mask (see the queue_departure_buckets migration). */
export const BUCKET_BITS = 64;

function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The low `bits` bits of a 32-bit word set (0 ≤ bits ≤ 32). */
const lowBits = (bits: number): number => (bits >= 32 ? 0xffffffff : (1 << bits) - 1) >>> 0;

/**
 * A replica's copy of a concert's departure buckets: which tickets ended without being
 * admitted. Answers "how many departed below ticket t" in O(log buckets) (a Fenwick tree over
 * the buckets' counts, plus the bits below t in t's own bucket, so exact to the ticket) and
 * takes a changed bucket in O(log buckets). Memory: 12 bytes per bucket of 64 tickets.
 */
export class DepartureIndex {
  private low = new Uint32Array(0);
  private high = new Uint32Array(0);
  /** Fenwick tree over the buckets' departure counts; tree[i] covers buckets (i - lowbit(i), i]. */
  private tree = new Int32Array(1);
  private count = 0;

  /** Departures recorded in total. */
  get total(): number {
    return this.count;
  }

  /** Sets a bucket's mask (as PostgreSQL stores it: a signed 64-bit integer). */
  setBucket(bucket: number, mask: bigint): void {
    this.ensureCapacity(bucket + 1);
    const low = Number(BigInt.asUintN(32, mask));
    const high = Number(BigInt.asUintN(32, mask >> 32n));
    const delta = popcount32(low) + popcount32(high) - this.bucketCount(bucket);
    this.low[bucket] = low;
    this.high[bucket] = high;
    if (delta === 0) return;
    this.count += delta;
    for (let i = bucket + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  /** Departed tickets below `ticket` (not counting `ticket` itself). */
  departedBelow(ticket: number): number {
    const bucket = Math.floor(ticket / BUCKET_BITS);
    let sum = 0;
    for (let i = Math.min(bucket, this.low.length); i > 0; i -= i & -i) sum += this.tree[i]!;
    if (bucket >= this.low.length) return sum;
    const bit = ticket % BUCKET_BITS;
    sum += popcount32((this.low[bucket]! & lowBits(bit)) >>> 0);
    if (bit > 32) sum += popcount32((this.high[bucket]! & lowBits(bit - 32)) >>> 0);
    return sum;
  }

  hasDeparted(ticket: number): boolean {
    const bucket = Math.floor(ticket / BUCKET_BITS);
    if (bucket >= this.low.length) return false;
    const bit = ticket % BUCKET_BITS;
    const word = bit < 32 ? this.low[bucket]! : this.high[bucket]!;
    return ((word >>> (bit % 32)) & 1) === 1;
  }

  private bucketCount(bucket: number): number {
    return popcount32(this.low[bucket]!) + popcount32(this.high[bucket]!);
  }

  /** Grows by doubling; the tree is rebuilt in O(buckets), amortized O(1) per bucket. */
  private ensureCapacity(buckets: number): void {
    if (buckets <= this.low.length) return;
    const size = Math.max(buckets, this.low.length * 2, 64);
    const low = new Uint32Array(size);
    const high = new Uint32Array(size);
    low.set(this.low);
    high.set(this.high);
    this.low = low;
    this.high = high;
    const tree = new Int32Array(size + 1);
    for (let bucket = 0; bucket < size; bucket++) {
      const i = bucket + 1;
      tree[i]! += this.bucketCount(bucket);
      const parent = i + (i & -i);
      if (parent <= size) tree[parent]! += tree[i]!;
    }
    this.tree = tree;
  }
}
