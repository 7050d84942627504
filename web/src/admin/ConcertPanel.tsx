import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api.js';
import { count, dateTime, points, salesStateLabel } from '../format.js';
import { adminMessage } from './admin-messages.js';

type SalesState = Schemas['SalesState'];
type Stats = Schemas['ConcertStatsResponse'];

const LIVE_REFRESH_MS = 2_000;

/** One concert: its settings, sales controls and a live panel refreshed every two seconds. */
export function ConcertPanel({ concert: initial }: { concert: Schemas['ConcertResponse'] }) {
  const [concert, setConcert] = useState(initial);
  const [stats, setStats] = useState<Stats | null>(null);
  const [capacity, setCapacity] = useState(String(initial.queueCapacity));
  const [windowSeconds, setWindowSeconds] = useState(String(initial.queueWindowSeconds));
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const live = Date.parse(concert.startsAt) > Date.now() && concert.salesState !== 'CLOSED';

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const next = await call(api.GET('/admin/concerts/{id}', { params: { path: { id: concert.id } } }));
        if (!stopped) setStats(next);
      } catch (failure) {
        if (!stopped) setMessage(adminMessage(failure));
      }
    };
    void load();
    if (!live) return () => (stopped = true);
    const timer = setInterval(() => void load(), LIVE_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [concert.id, live]);

  const change = async (body: Schemas['ChangeConcertSettingsDto']) => {
    setBusy(true);
    setMessage(null);
    try {
      const changed = await call(
        api.PATCH('/admin/concerts/{id}', { params: { path: { id: concert.id } }, body }),
      );
      setConcert(changed);
      setStats((current) => current && { ...current, ...changed });
    } catch (failure) {
      setMessage(adminMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  const state: SalesState = concert.salesState;
  const titleId = `concert-${concert.id}`;
  return (
    <li class="card stack panel" aria-labelledby={titleId} data-concert-id={concert.id}>
      <div class="row spread">
        <h3 id={titleId}>{concert.name}</h3>
        <span class={`badge ${state.toLowerCase()}`} data-testid="sales-state">
          {salesStateLabel[state] ?? state}
        </span>
      </div>
      <p>
        {concert.venue} · <time dateTime={concert.startsAt}>{dateTime(concert.startsAt)}</time> ·{' '}
        {count(concert.seatCount)} seats
      </p>
      {stats && (
        <dl class="figures live" aria-label={`Live figures for ${concert.name}`}>
          {stats.salesOpenAt && !stats.drawnAt && (
            <Figure label="Pre-queue" value={count(stats.preQueueLength)} />
          )}
          <Figure label="Waiting" value={count(stats.queueLength)} />
          <Figure label="Active" value={`${count(stats.activeUsers)} / ${count(concert.queueCapacity)}`} />
          <Figure label="Admitted per minute" value={count(stats.admittedLastMinute ?? 0)} />
          <Figure label="Available" value={count(stats.seatCounts.available)} />
          <Figure label="Held" value={count(stats.seatCounts.held)} />
          <Figure label="Sold" value={count(stats.seatCounts.sold)} />
          <Figure label="Revenue" value={points(stats.revenue ?? 0)} />
        </dl>
      )}
      {stats && stats.seatCount > 0 && (
        <div
          class="bar"
          role="img"
          aria-label={`${count(stats.seatCounts.sold)} of ${count(stats.seatCount)} seats sold`}
        >
          <span class="sold" style={{ width: `${(100 * stats.seatCounts.sold) / stats.seatCount}%` }} />
          <span class="held" style={{ width: `${(100 * stats.seatCounts.held) / stats.seatCount}%` }} />
        </div>
      )}
      <div class="row">
        {state === 'ON_SALE' && (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => void change({ salesState: 'PAUSED' })}
          >
            Pause sales
          </button>
        )}
        {state === 'PAUSED' && (
          <button type="button" disabled={busy} onClick={() => void change({ salesState: 'ON_SALE' })}>
            Resume sales
          </button>
        )}
        {state !== 'CLOSED' && (
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() => {
              if (confirm(`Close sales for ${concert.name}? Fans can no longer buy tickets.`))
                void change({ salesState: 'CLOSED' });
            }}
          >
            Close sales
          </button>
        )}
      </div>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          void change({ queueCapacity: Number(capacity), queueWindowSeconds: Number(windowSeconds) });
        }}
      >
        <label>
          Active windows at once
          <input
            type="number"
            min={1}
            max={100000}
            required
            value={capacity}
            onInput={(e) => setCapacity(e.currentTarget.value)}
          />
        </label>
        <label>
          Window length (seconds)
          <input
            type="number"
            min={1}
            max={86400}
            required
            value={windowSeconds}
            onInput={(e) => setWindowSeconds(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="secondary" disabled={busy}>
          Save queue settings
        </button>
      </form>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
    </li>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
