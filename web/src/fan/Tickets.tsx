import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.js';
import { dateTime, points } from '../format.js';
import { fanMessage } from '../messages.js';

const STATUS_TEXT: Record<string, string> = {
  CONFIRMED: 'Paid',
  PENDING: 'Held, not paid yet',
  EXPIRED: 'Hold ran out',
  CANCELLED: 'Released',
};

/** The fan's reservations and payments, newest first, and the points balance. */
export function Tickets() {
  const [reservations, setReservations] = useState<Schemas['ReservationResponse'][] | null>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [payments, setPayments] = useState<Schemas['PointHistoryEntryResponse'][]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([
      call(api.GET('/reservation', { params: { query: { limit: 100 } } })),
      call(api.GET('/points')),
      call(api.GET('/points/history', { params: { query: { limit: 100 } } })),
    ])
      .then(([list, wallet, history]) => {
        setReservations(list.reservations);
        setBalance(wallet.points);
        setPayments(history.history.filter((entry) => entry.type === 'PAYMENT'));
      })
      .catch((failure) => setError(fanMessage(failure)));
  }, []);

  const paid = reservations?.filter((reservation) => reservation.status === 'CONFIRMED') ?? [];
  const other = reservations?.filter((reservation) => reservation.status !== 'CONFIRMED') ?? [];
  return (
    <main>
      <h1>My tickets</h1>
      {balance !== null && <p>Points balance: {points(balance)}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {reservations === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <h2>Tickets</h2>
          {paid.length === 0 ? <p class="muted">No tickets yet.</p> : <TicketList items={paid} />}
          {payments.length > 0 && (
            <>
              <h2>Payments</h2>
              <ul class="cards">
                {payments.map((payment) => (
                  <li key={payment.id} class="card">
                    <p>
                      <strong>{points(Math.abs(payment.amount))}</strong> paid {dateTime(payment.createdAt)}
                    </p>
                    <p class="muted">
                      Receipt <code>{payment.paymentId}</code>
                    </p>
                  </li>
                ))}
              </ul>
            </>
          )}
          {other.length > 0 && (
            <>
              <h2>Other reservations</h2>
              <TicketList items={other} />
            </>
          )}
        </>
      )}
    </main>
  );
}

function TicketList({ items }: { items: Schemas['ReservationResponse'][] }) {
  return (
    <ul class="cards">
      {items.map((reservation) => (
        <li key={reservation.id} class={`card ticket ${reservation.status.toLowerCase()}`}>
          <div class="row spread">
            <h3>{reservation.concertName}</h3>
            <span class={`badge ${reservation.status.toLowerCase()}`}>
              {STATUS_TEXT[reservation.status] ?? reservation.status}
            </span>
          </div>
          <p>
            Seat <strong>{reservation.seatNumber}</strong> · {points(reservation.price)} · reserved{' '}
            {dateTime(reservation.reservedAt)}
          </p>
        </li>
      ))}
    </ul>
  );
}
