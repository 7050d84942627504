import { SeatStatus } from '../generated/prisma/enums.js';
import type { SeatView } from './reservations.repository.js';
import { SeatCatalog, SeatCatalogCache, seatStatusCode, type CatalogSeat } from './seat-catalog.js';

const seat = (n: number, fields: Partial<CatalogSeat> = {}): CatalogSeat => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  number: `A${n}`,
  section: 'A',
  price: 1_000 * n,
  ...fields,
});

/** A SeatView as JSON, its fields in the seat map's order. */
const viewJson = (s: CatalogSeat, status: SeatStatus, mine: boolean): string =>
  JSON.stringify({
    id: s.id,
    number: s.number,
    section: s.section,
    price: s.price,
    status,
    mine,
  } satisfies SeatView);

describe(SeatCatalog.name, () => {
  it('gives every seat status a code of its own, mine or not', () => {
    const codes = Object.values(SeatStatus).flatMap((status) => [
      seatStatusCode(status, false),
      seatStatusCode(status, true),
    ]);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((code) => code.length === 1)).toBe(true);
  });

  it('answers each seat of the page with its status and mine, in order', () => {
    const seats = [1, 2, 3, 4, 5].map((n) => seat(n));
    const catalog = SeatCatalog.of(seats);
    const page = [
      [seats[1]!, 'AVAILABLE', false],
      [seats[2]!, 'HELD', true],
      [seats[3]!, 'SOLD', false],
    ] as const;
    const codes = page.map(([, status, mine]) => seatStatusCode(status, mine)).join('');
    expect(codes).toBe('AhS');
    expect(catalog.pageJson(1, 3, codes)).toBe(
      `[${page.map(([s, status, mine]) => viewJson(s, status, mine)).join(',')}]`,
    );
    expect(catalog.count).toBe(5);
  });

  it('answers the short last page, and an empty array past the end', () => {
    const catalog = SeatCatalog.of([1, 2, 3].map((n) => seat(n)));
    expect(JSON.parse(catalog.pageJson(2, 2, 's'))).toEqual([JSON.parse(viewJson(seat(3), 'SOLD', true))]);
    expect(catalog.pageJson(3, 2, '')).toBe('[]');
    expect(catalog.pageJson(10, 2, '')).toBe('[]');
  });

  it.each([
    ['quotes', 'Row "B" 12', 'Box "East"'],
    ['backslashes', 'C\\12', '\\\\server\\share'],
    ['unicode', '좌석 7 — ½', 'Balcón 🎻'],
    ['control characters', 'tab\there\nnew\u0001\u001f', 'cr\r\bback\fform\u007f'],
    ['JSON and HTML look-alikes', '</script>{"x":1}', "it's & <b>"],
  ])('escapes %s in number and section as JSON', (_, number, section) => {
    const s = seat(7, { number, section });
    const json = SeatCatalog.of([s]).pageJson(0, 100, 'H');
    expect(json).toBe(`[${viewJson(s, 'HELD', false)}]`);
    expect(JSON.parse(json)).toEqual([
      { id: s.id, number, section, price: 7_000, status: 'HELD', mine: false },
    ]);
  });

  it('refuses status codes that are not one per seat of the page, or unknown', () => {
    const catalog = SeatCatalog.of([1, 2, 3].map((n) => seat(n)));
    expect(() => catalog.pageJson(0, 2, 'A')).toThrow('answered 1 statuses');
    expect(() => catalog.pageJson(0, 2, 'AAA')).toThrow('answered 3 statuses');
    expect(() => catalog.pageJson(0, 2, 'AX')).toThrow('Unknown seat status code "X"');
  });
});

describe(SeatCatalogCache.name, () => {
  const catalogOf = (count: number) =>
    SeatCatalog.of(
      Array.from({ length: count }, (_, i) => ({ id: `id-${i}`, number: `N${i}`, section: 'S', price: 1 })),
    );

  it('lets the least recently paged concerts go beyond its bound of seats, and says which', () => {
    const cache = new SeatCatalogCache(10);
    expect(cache.set('a', catalogOf(4))).toEqual([]);
    expect(cache.set('b', catalogOf(4))).toEqual([]);
    cache.get('a');
    expect(cache.set('c', catalogOf(4))).toEqual(['b']);
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map((catalog) => catalog?.count)).toEqual([
      4,
      undefined,
      4,
    ]);
  });

  it('keeps a concert larger than its bound alone, and counts a concert learnt again once', () => {
    const cache = new SeatCatalogCache(10);
    cache.set('a', catalogOf(4));
    expect(cache.set('big', catalogOf(12))).toEqual(['a']);
    expect(cache.get('big')?.count).toBe(12);
    cache.delete('big');
    cache.set('a', catalogOf(6));
    expect(cache.set('a', catalogOf(6))).toEqual([]);
    expect(cache.set('b', catalogOf(4))).toEqual([]);
  });
});
