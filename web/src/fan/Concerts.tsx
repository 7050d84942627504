import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.js';
import { dateTime, salesStateLabel } from '../format.js';
import { fanMessage } from '../messages.js';

const REFRESH_MS = 15_000;

/** Upcoming concerts with their sales state and the fan's place in each queue. */
export function Concerts() {
  const [concerts, setConcerts] = useState<Schemas['ConcertQueueEntryResponse'][] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      setConcerts((await call(api.GET('/concerts'))).queueEntries);
      setError(null);
    } catch (failure) {
      setError(fanMessage(failure));
    }
  };

  useEffect(() => {
    void load();
    // A pause or a resume by the box office shows without a reload.
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  return (
    <main>
      <div class="row spread">
        <h1>Concerts</h1>
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {concerts === null ? (
        <p class="muted">Loading concerts…</p>
      ) : concerts.length === 0 ? (
        <p class="muted">No concerts are on sale right now.</p>
      ) : (
        <ul class="cards" aria-label="Concerts">
          {concerts.map((concert) => (
            <ConcertCard key={concert.concertId} concert={concert} />
          ))}
        </ul>
      )}
    </main>
  );
}

function ConcertCard({ concert }: { concert: Schemas['ConcertQueueEntryResponse'] }) {
  const upcoming = concert.salesState === 'UPCOMING';
  // Before an opening the queue (its pre-queue) may be joined already; the server says when not yet.
  const onSale = concert.salesState === 'ON_SALE' || upcoming;
  const place =
    concert.status === 'ACTIVE'
      ? "It's your turn"
      : concert.status === 'WAITING'
        ? `You're number ${concert.queuePosition} in line`
        : concert.status === 'PRE_QUEUE'
          ? "You're in the pre-queue: places are drawn when sales open"
          : null;
  return (
    <li class="card concert" data-concert-id={concert.concertId}>
      <div class="row spread">
        <h2>{concert.name}</h2>
        <span class={`badge ${concert.salesState.toLowerCase()}`}>
          {salesStateLabel[concert.salesState] ?? concert.salesState}
        </span>
      </div>
      <p>
        {concert.venue} · <time dateTime={concert.startsAt}>{dateTime(concert.startsAt)}</time>
      </p>
      {upcoming && concert.salesOpenAt && (
        <p>
          Sales open <time dateTime={concert.salesOpenAt}>{dateTime(concert.salesOpenAt)}</time>
        </p>
      )}
      {place && <p class="strong">{place}</p>}
      {onSale ? (
        <a
          class="button"
          href={`#/concert/${concert.concertId}`}
          aria-label={`Get tickets for ${concert.name}`}
        >
          {place ? 'Continue' : 'Get tickets'}
        </a>
      ) : (
        <p class="muted">Tickets are not on sale at the moment. Check back soon.</p>
      )}
    </li>
  );
}
