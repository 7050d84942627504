import { MAX_SEATS_PER_CONCERT } from './concert-limits.js';
import { InvalidSeatLayoutError } from './concerts.errors.js';

export const DEFAULT_SECTION = 'GENERAL';
/** Enough duplicates to fix a seat map by hand without echoing a huge one back. */
const MAX_REPORTED_DUPLICATES = 20;

export interface SeatMapInput {
  seats?: { number: string; price: number; section?: string }[] | null;
  layout?: { rows: { label: string; seats: number; price: number }[] } | null;
}

/** Column arrays in display order, ready for one bulk insert. */
export interface SeatPlan {
  numbers: string[];
  sections: string[];
  prices: number[];
}

/** Expands the request's seat map and checks what one seat alone cannot: exactly one source, size, uniqueness. */
export function planSeats(input: SeatMapInput): SeatPlan {
  const { seats, layout } = input;
  // null is as good as absent: the DTO's @IsOptional lets it through.
  if ((seats == null) === (layout == null))
    throw new InvalidSeatLayoutError('Give exactly one of seats or layout');
  const plan = seats ? fromSeatList(seats) : fromLayout(layout!.rows);
  const duplicates = findDuplicates(plan.numbers);
  if (duplicates.length) {
    throw new InvalidSeatLayoutError('Seat numbers must be unique', {
      duplicates: duplicates.slice(0, MAX_REPORTED_DUPLICATES),
      duplicateCount: duplicates.length,
    });
  }
  return plan;
}

function fromSeatList(seats: NonNullable<SeatMapInput['seats']>): SeatPlan {
  return {
    numbers: seats.map((seat) => seat.number),
    sections: seats.map((seat) => seat.section ?? DEFAULT_SECTION),
    prices: seats.map((seat) => seat.price),
  };
}

function fromLayout(rows: NonNullable<SeatMapInput['layout']>['rows']): SeatPlan {
  const total = rows.reduce((sum, row) => sum + row.seats, 0);
  if (total > MAX_SEATS_PER_CONCERT) {
    throw new InvalidSeatLayoutError(`A concert has at most ${MAX_SEATS_PER_CONCERT} seats`, {
      seatCount: total,
      max: MAX_SEATS_PER_CONCERT,
    });
  }
  const plan: SeatPlan = { numbers: [], sections: [], prices: [] };
  for (const row of rows) {
    for (let seat = 1; seat <= row.seats; seat++) {
      plan.numbers.push(`${row.label}${seat}`);
      plan.sections.push(row.label);
      plan.prices.push(row.price);
    }
  }
  return plan;
}

/** Each repeated number once, in first-seen order. */
function findDuplicates(numbers: string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const number of numbers) {
    if (seen.has(number)) repeated.add(number);
    else seen.add(number);
  }
  return [...repeated];
}
