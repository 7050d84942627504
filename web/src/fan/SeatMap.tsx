import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, call, type Schemas } from '../api.js';
import { points } from '../format.js';
import { fanMessage } from '../messages.js';
import type { Hold } from './Checkout.js';

type Seat = Schemas['SeatResponse'] & { mine?: boolean };

/** MAX_SEATS_PER_RESERVATION's default; the API's answer corrects it when the server allows fewer. */
const DEFAULT_SEAT_LIMIT = 4;
const PAGE_SIZE = 500;
const REFRESH_MS = 10_000;

/** "B12" → row "B", place 12; a number without a row letter goes into row "". */
function rowAndPlace(number: string): { row: string; place: number } {
  const match = /^(.*?)(\d+)$/.exec(number);
  return match ? { row: match[1]!, place: Number(match[2]) } : { row: number, place: 0 };
}

/** Sections, each a grid of rows; every seat a toggle button the keyboard can reach. */
export function SeatMap({
  concertId,
  windowEndsAt,
  onHeld,
  onWindowClosed,
}: {
  concertId: string;
  /** Epoch ms; the map stops refreshing then, when the API would refuse it anyway. */
  windowEndsAt: number | null;
  onHeld: (hold: Hold) => void;
  onWindowClosed: () => void;
}) {
  const [seats, setSeats] = useState<Seat[] | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [limit, setLimit] = useState(DEFAULT_SEAT_LIMIT);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const all: Seat[] = [];
      for (let page = 1; ; page++) {
        const map = await call(
          api.GET('/reservation/{concertId}/seats', {
            params: { path: { concertId }, query: { page, limit: PAGE_SIZE } },
          }),
        );
        all.push(...map.seats);
        if (page >= map.pagination.totalPages) break;
      }
      setSeats(all);
      // A seat someone else took meanwhile leaves the selection.
      setSelected((ids) => ids.filter((id) => all.find((seat) => seat.id === id)?.status === 'AVAILABLE'));
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.code === 'QUEUE_NOT_ACTIVE') return onWindowClosed();
      setError(fanMessage(failure));
    }
  };

  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (windowEndsAt === null || Date.now() < windowEndsAt - 1_000) void load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [concertId]);

  const toggle = (seat: Seat) => {
    setError(null);
    setSelected((ids) => {
      if (ids.includes(seat.id)) return ids.filter((id) => id !== seat.id);
      if (ids.length >= limit) {
        setError(`You can pick up to ${limit} seats.`);
        return ids;
      }
      return [...ids, seat.id];
    });
  };

  const holdSeats = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await call(api.POST('/reservation/seat', { body: { concertId, seatIds: selected } }));
      const chosen = selected.map((id) => seats!.find((seat) => seat.id === id)!);
      onHeld({
        reservations: answer.reservations.map((reservation) => {
          const seat = chosen.find((candidate) => candidate.id === reservation.seatId)!;
          return {
            id: reservation.id,
            seatNumber: seat.number,
            price: seat.price,
            expiresAt: reservation.expiresAt,
          };
        }),
      });
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.code === 'QUEUE_NOT_ACTIVE') return onWindowClosed();
      const max = failure instanceof ApiFailure ? Number(failure.details.limit ?? failure.details.max) : NaN;
      if (Number.isInteger(max) && max > 0) setLimit(max);
      setError(fanMessage(failure));
      await load();
    } finally {
      setBusy(false);
    }
  };

  if (!seats)
    return error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : (
      <p class="muted">Loading the seat map…</p>
    );

  const sections = groupSeats(seats);
  const total = selected.reduce((sum, id) => sum + (seats.find((seat) => seat.id === id)?.price ?? 0), 0);
  return (
    <section class="card stack" aria-labelledby="seat-map-title">
      <h2 id="seat-map-title">Pick up to {limit} seats</h2>
      <ul class="legend" aria-label="Legend">
        <li>
          <span class="seat available" aria-hidden="true" /> Available
        </li>
        <li>
          <span class="seat selected" aria-hidden="true" /> Your pick
        </li>
        <li>
          <span class="seat held" aria-hidden="true" /> Held
        </li>
        <li>
          <span class="seat sold" aria-hidden="true" /> Sold
        </li>
        <li>
          <span class="seat mine" aria-hidden="true" /> Yours
        </li>
      </ul>
      <div class="stage" aria-hidden="true">
        Stage
      </div>
      {sections.map(({ section, rows }) => (
        <fieldset class="section" key={section}>
          <legend>
            Section {section} · {points(rows[0]!.seats[0]!.price)}
          </legend>
          {rows.map(({ row, seats: rowSeats }) => (
            <div class="seat-row" key={row} role="group" aria-label={`Row ${row}`}>
              <span class="row-label" aria-hidden="true">
                {row}
              </span>
              {rowSeats.map((seat) => {
                const isSelected = selected.includes(seat.id);
                const state = seat.mine ? 'mine' : isSelected ? 'selected' : seat.status.toLowerCase();
                return (
                  <button
                    type="button"
                    key={seat.id}
                    class={`seat ${state}`}
                    disabled={seat.status !== 'AVAILABLE'}
                    aria-pressed={isSelected}
                    aria-label={`Seat ${seat.number}, ${points(seat.price)}, ${seatStateText(seat, isSelected)}`}
                    title={`${seat.number} · ${points(seat.price)}`}
                    onClick={() => toggle(seat)}
                  >
                    {rowAndPlace(seat.number).place || seat.number}
                  </button>
                );
              })}
            </div>
          ))}
        </fieldset>
      ))}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row spread sticky-actions">
        <p aria-live="polite">
          {selected.length === 0
            ? 'No seats picked yet.'
            : `${selected.length} ${selected.length === 1 ? 'seat' : 'seats'} · ${points(total)}`}
        </p>
        <button type="button" disabled={busy || selected.length === 0} onClick={() => void holdSeats()}>
          Hold {selected.length || ''} {selected.length === 1 ? 'seat' : 'seats'}
        </button>
      </div>
    </section>
  );
}

function seatStateText(seat: Seat, isSelected: boolean): string {
  if (seat.mine) return 'held by you';
  if (isSelected) return 'picked';
  return seat.status === 'AVAILABLE' ? 'available' : seat.status === 'HELD' ? 'held by someone' : 'sold';
}

function groupSeats(seats: Seat[]) {
  const sections = new Map<string, Map<string, Seat[]>>();
  for (const seat of seats) {
    const rows = sections.get(seat.section) ?? new Map<string, Seat[]>();
    sections.set(seat.section, rows);
    const row = rowAndPlace(seat.number).row;
    rows.set(row, [...(rows.get(row) ?? []), seat]);
  }
  return [...sections].map(([section, rows]) => ({
    section,
    rows: [...rows].map(([row, rowSeats]) => ({
      row,
      seats: rowSeats.sort((a, b) => rowAndPlace(a.number).place - rowAndPlace(b.number).place),
    })),
  }));
}
