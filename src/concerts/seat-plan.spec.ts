import { InvalidSeatLayoutError } from './concerts.errors.js';
import { DEFAULT_SECTION, planSeats } from './seat-plan.js';

describe(planSeats.name, () => {
  it('expands layout rows into numbered seats in row order, sectioned and priced by row', () => {
    const plan = planSeats({
      layout: {
        rows: [
          { label: 'A', seats: 2, price: 100 },
          { label: 'B', seats: 3, price: 50 },
        ],
      },
    });
    expect(plan).toEqual({
      numbers: ['A1', 'A2', 'B1', 'B2', 'B3'],
      sections: ['A', 'A', 'B', 'B', 'B'],
      prices: [100, 100, 50, 50, 50],
    });
  });

  it('keeps explicit seats in request order and gives seats without a section the default one', () => {
    const plan = planSeats({
      seats: [
        { number: 'Z9', price: 5, section: 'Box' },
        { number: 'A1', price: 0 },
      ],
    });
    expect(plan).toEqual({ numbers: ['Z9', 'A1'], sections: ['Box', DEFAULT_SECTION], prices: [5, 0] });
  });

  it.each([
    [
      'both seats and layout',
      { seats: [{ number: 'A1', price: 1 }], layout: { rows: [{ label: 'B', seats: 1, price: 1 }] } },
    ],
    ['neither seats nor layout', {}],
  ])('refuses %s', (_case, input) => {
    expect(() => planSeats(input)).toThrow(InvalidSeatLayoutError);
  });

  it('accepts a layout of exactly 50,000 seats and refuses one more', () => {
    const rows = (extra: number) => [
      { label: 'A', seats: 25_000, price: 1 },
      { label: 'B', seats: 25_000 + extra, price: 1 },
    ];
    expect(planSeats({ layout: { rows: rows(0) } }).numbers).toHaveLength(50_000);
    expect(() => planSeats({ layout: { rows: rows(1) } })).toThrow(InvalidSeatLayoutError);
  });

  it('reports each duplicated number once, at most 20 of them, with the total count', () => {
    const seats = Array.from({ length: 30 }, (_, i) => ({ number: `S${i}`, price: 1 }));
    const error = catchError(() => planSeats({ seats: [...seats, ...seats, ...seats] }));
    expect(error).toBeInstanceOf(InvalidSeatLayoutError);
    expect(error.details).toEqual({
      duplicates: seats.slice(0, 20).map((seat) => seat.number),
      duplicateCount: 30,
    });
  });

  it('finds numbers that two different row labels both generate', () => {
    const error = catchError(() =>
      planSeats({
        layout: {
          rows: [
            { label: 'A', seats: 11, price: 1 },
            { label: 'A1', seats: 1, price: 1 },
          ],
        },
      }),
    );
    expect(error.details).toMatchObject({ duplicates: ['A11'] });
  });
});

function catchError(fn: () => unknown): InvalidSeatLayoutError {
  try {
    fn();
  } catch (error) {
    return error as InvalidSeatLayoutError;
  }
  throw new Error('expected an error');
}
