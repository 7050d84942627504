import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api, call, newIdempotencyKey, type Schemas } from '../api.js';
import { clock, points } from '../format.js';
import { useNow } from '../hooks.js';
import { fanMessage } from '../messages.js';

export interface Hold {
  reservations: { id: string; seatNumber: string; price: number; expiresAt: string }[];
}

/** The held seats with their countdown, the points balance, a top-up, the payment and its receipt. */
export function Checkout({ hold, onReleased }: { hold: Hold; onReleased: (message: string) => void }) {
  const now = useNow();
  const [balance, setBalance] = useState<number | null>(null);
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [receipt, setReceipt] = useState<Schemas['PaymentResponse'] | null>(null);
  // One key per operation, reused by its retries so nothing happens twice.
  const payKey = useRef(newIdempotencyKey());

  const total = hold.reservations.reduce((sum, reservation) => sum + reservation.price, 0);
  const expiresAt = Math.min(...hold.reservations.map((reservation) => Date.parse(reservation.expiresAt)));
  const secondsLeft = (expiresAt - now) / 1000;

  const loadBalance = async () => setBalance((await call(api.GET('/points'))).points);
  useEffect(() => {
    void loadBalance().catch((failure) => setError(fanMessage(failure)));
  }, []);

  useEffect(() => {
    if (!receipt && secondsLeft <= 0)
      onReleased('Your hold ran out before it was paid, so the seats went back on sale.');
  }, [secondsLeft <= 0]);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.code === 'RESERVATION_EXPIRED')
        return onReleased(fanMessage(failure));
      setError(fanMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  const topUp = () =>
    run(async () => {
      const answer = await call(
        api.PATCH('/points/charge', {
          body: { amount: Number(amount) },
          params: { header: { 'idempotency-key': newIdempotencyKey() } },
        }),
      );
      setBalance(answer.points);
      setAmount('');
    });

  const pay = () =>
    run(async () => {
      const answer = await call(
        api.POST('/payment', {
          body: { reservationIds: hold.reservations.map((reservation) => reservation.id) },
          params: { header: { 'idempotency-key': payKey.current } },
        }),
      );
      setReceipt(answer);
      await loadBalance();
    });

  const release = () =>
    run(async () => {
      for (const reservation of hold.reservations)
        await call(api.DELETE('/reservation/{id}', { params: { path: { id: reservation.id } } }));
      onReleased('Your seats were released.');
    });

  if (receipt)
    return (
      <section class="card stack receipt" aria-labelledby="receipt-title">
        <h1 id="receipt-title">You're going! Your tickets are confirmed</h1>
        <ul class="tickets">
          {hold.reservations.map((reservation) => (
            <li key={reservation.id}>
              Seat <strong>{reservation.seatNumber}</strong> · {points(reservation.price)}
            </li>
          ))}
        </ul>
        <dl class="figures">
          <div>
            <dt>Paid</dt>
            <dd>{points(receipt.totalAmount)}</dd>
          </div>
          <div>
            <dt>Balance left</dt>
            <dd>{balance === null ? '…' : points(balance)}</dd>
          </div>
        </dl>
        <p class="muted">
          Receipt <code>{receipt.paymentId}</code>
        </p>
        <a class="button" href="#/tickets">
          See my tickets
        </a>
      </section>
    );

  const short = balance !== null && balance < total;
  return (
    <section class="card stack" aria-labelledby="checkout-title">
      <h1 id="checkout-title">
        Your seats are held for <span data-testid="hold-left">{clock(secondsLeft)}</span>
      </h1>
      <ul class="tickets">
        {hold.reservations.map((reservation) => (
          <li key={reservation.id}>
            Seat <strong>{reservation.seatNumber}</strong> · {points(reservation.price)}
          </li>
        ))}
      </ul>
      <dl class="figures">
        <div>
          <dt>Total</dt>
          <dd>{points(total)}</dd>
        </div>
        <div>
          <dt>Your balance</dt>
          <dd data-testid="balance">{balance === null ? '…' : points(balance)}</dd>
        </div>
      </dl>
      {short && <p>You need {points(total - balance)} more to pay. Top up below.</p>}
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          void topUp();
        }}
      >
        <label class="grow">
          Top up points
          <input
            type="number"
            name="amount"
            inputMode="numeric"
            min={1}
            step={1}
            required
            value={amount}
            placeholder={short ? String(total - balance) : '50000'}
            onInput={(event) => setAmount(event.currentTarget.value)}
          />
        </label>
        <button type="submit" class="secondary" disabled={busy}>
          Top up
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="button" disabled={busy} onClick={() => void pay()}>
          Pay {points(total)}
        </button>
        <button type="button" class="link" disabled={busy} onClick={() => void release()}>
          Release seats
        </button>
      </div>
    </section>
  );
}
