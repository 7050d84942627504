import { SeatStatus } from '../generated/prisma/enums.js';

/** A seat's attributes that never change after its concert's creation. */
export interface CatalogSeat {
  id: string;
  number: string;
  section: string;
  price: number;
}

/**
 * A seat's state on a page as the seat-status statement writes it, one character a seat: the
 * status's first letter (A, H, S), lower case when the caller holds or bought the seat.
 */
const STATUS_BY_CODE = new Map<string, SeatStatus>(
  Object.values(SeatStatus).map((status) => [status.charAt(0), status]),
);

/** What follows a seat's head for each code: its status and `mine`, closing the SeatView. */
const TAIL_BY_CODE = new Map<string, string>(
  [...STATUS_BY_CODE].flatMap(([code, status]) => [
    [code, `${status}","mine":false}`],
    [code.toLowerCase(), `${status}","mine":true}`],
  ]),
);

/** The code the seat-status statement writes for a status (its first letter), mine or not. */
export function seatStatusCode(status: SeatStatus, mine: boolean): string {
  const code = status.charAt(0);
  return mine ? code.toLowerCase() : code;
}

/**
 * A concert's seats in seat-map order (position 1 first), each pre-rendered as the start of
 * its SeatView JSON up to its status: a seat page is then these heads of the page's seats,
 * each closed by its status and `mine`, which the database answers as one character a seat.
 * The fields and their order are the seat map's (`{"id","number","section","price","status",
 * "mine"}`), escaped by JSON.stringify as PostgreSQL's to_json escaped them before.
 * About 110 bytes a seat for short numbers and sections: 3.3 MB for 30,000 seats.
 */
export class SeatCatalog {
  private constructor(private readonly heads: readonly string[]) {}

  /** `seats` in seat-map order: by position, positions 1..n. */
  static of(seats: readonly CatalogSeat[]): SeatCatalog {
    return new SeatCatalog(
      seats.map(
        (seat) =>
          `{"id":"${seat.id}","number":${JSON.stringify(seat.number)},"section":${JSON.stringify(seat.section)},"price":${seat.price},"status":"`,
      ),
    );
  }

  get count(): number {
    return this.heads.length;
  }

  /**
   * The JSON array of the page of `limit` seats after `offset`, given their `codes` in order.
   * Throws when the codes are not one per seat of the page: the concert's seats changed, which
   * nothing does after its creation.
   */
  pageJson(offset: number, limit: number, codes: string): string {
    const expected = Math.max(0, Math.min(limit, this.heads.length - offset));
    if (codes.length !== expected)
      throw new Error(`Seat page of ${expected} seats at ${offset} answered ${codes.length} statuses`);
    let json = '[';
    for (let i = 0; i < expected; i++) {
      const tail = TAIL_BY_CODE.get(codes.charAt(i));
      if (tail === undefined) throw new Error(`Unknown seat status code ${JSON.stringify(codes.charAt(i))}`);
      json += (i === 0 ? '' : ',') + this.heads[offset + i]! + tail;
    }
    return json + ']';
  }
}
