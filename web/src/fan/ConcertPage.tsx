import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api, call, type Schemas } from '../api.js';
import { clock, dateTime } from '../format.js';
import { useNow } from '../hooks.js';
import { fanMessage } from '../messages.js';
import { Checkout, type Hold } from './Checkout.js';
import { SeatMap } from './SeatMap.js';

type Place = Schemas['QueueEntryResponse'];
type Phase =
  | { kind: 'entering' }
  | { kind: 'queued'; place: Place; receivedAt: number }
  | { kind: 'ended' }
  | { kind: 'unavailable'; message: string };

/** When a poll fails without a Retry-After, try again after this long. */
const RETRY_AFTER_FAILURE_MS = 5_000;

/**
 * One concert: the waiting room while WAITING, the seat map while ACTIVE, then checkout.
 * Polls only as the API's retryAfterMs says: polling faster would not move the fan forward.
 */
export function ConcertPage({ concertId }: { concertId: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'entering' });
  const [hold, setHold] = useState<Hold | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const firstPosition = useFirstPosition(concertId);

  const receive = (place: Place) => {
    firstPosition.remember(place);
    setPhase({ kind: 'queued', place, receivedAt: Date.now() });
  };

  const enter = async () => {
    setPhase({ kind: 'entering' });
    setNotice(null);
    try {
      receive(await call(api.POST('/concerts/{concertId}/queue-entry', { params: { path: { concertId } } })));
    } catch (failure) {
      setPhase({ kind: 'unavailable', message: fanMessage(failure) });
    }
  };

  useEffect(() => {
    void enter();
  }, [concertId]);

  // The waiting room's poll: one request per retryAfterMs, never more. An admitted place not
  // claimed yet (claimBy) is polled once more: that poll claims it and answers the window's end;
  // not once seats are held (the hold claimed it, and a payment ends the place).
  const place = phase.kind === 'queued' ? phase.place : null;
  useEffect(() => {
    if (!place || (place.status === 'ACTIVE' && (!place.claimBy || hold))) return;
    let cancelled = false;
    const poll = async (): Promise<void> => {
      try {
        const next = await call(api.GET('/concerts/{concertId}/queue', { params: { path: { concertId } } }));
        if (!cancelled) receive(next);
        setNotice(null);
      } catch (failure) {
        if (cancelled) return;
        if (
          failure instanceof ApiFailure &&
          (failure.code === 'QUEUE_ENTRY_NOT_FOUND' || failure.code === 'QUEUE_ENTRY_ENDED')
        )
          return setPhase({ kind: 'ended' });
        setNotice(fanMessage(failure));
        const wait = failure instanceof ApiFailure ? failure.retryAfterMs : null;
        timer = setTimeout(() => void poll(), wait ?? RETRY_AFTER_FAILURE_MS);
      }
    };
    let timer = setTimeout(() => void poll(), place.retryAfterMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [place, hold]);

  if (hold)
    return (
      <main>
        <ConcertHeading concertId={concertId} />
        <Checkout
          hold={hold}
          onReleased={(message) => {
            setHold(null);
            setNotice(message);
            void enter();
          }}
        />
      </main>
    );

  return (
    <main>
      <ConcertHeading concertId={concertId} />
      {notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      {phase.kind === 'entering' && <p class="muted">Joining the queue…</p>}
      {phase.kind === 'unavailable' && (
        <section class="card stack">
          <h1>Tickets are not available</h1>
          <p role="alert">{phase.message}</p>
          <a class="button" href="#/">
            Back to concerts
          </a>
        </section>
      )}
      {phase.kind === 'ended' && (
        <section class="card stack" aria-live="polite">
          <h1>Your turn ended: you didn't come back in time</h1>
          <p>Your place went to the next fan in line. You can join the queue again at the back.</p>
          <button type="button" onClick={() => void enter()}>
            Join the queue again
          </button>
        </section>
      )}
      {phase.kind === 'queued' && phase.place.status === 'PRE_QUEUE' && <PreQueueRoom place={phase.place} />}
      {phase.kind === 'queued' && phase.place.status === 'WAITING' && (
        <WaitingRoom place={phase.place} receivedAt={phase.receivedAt} firstPosition={firstPosition.value} />
      )}
      {phase.kind === 'queued' && phase.place.status === 'ACTIVE' && (
        <ActiveWindow
          place={phase.place}
          concertId={concertId}
          onHeld={setHold}
          onLapsed={() => setPhase({ kind: 'ended' })}
        />
      )}
    </main>
  );
}

/** Name, venue and date of the concert, from the catalog (the queue's answers carry only its id). */
function ConcertHeading({ concertId }: { concertId: string }) {
  const [concert, setConcert] = useState<Schemas['ConcertQueueEntryResponse'] | null>(null);
  useEffect(() => {
    call(api.GET('/concerts'))
      .then((list) => setConcert(list.queueEntries.find((entry) => entry.concertId === concertId) ?? null))
      .catch(() => undefined); // only a heading: the page works without it
  }, [concertId]);
  if (!concert) return null;
  return (
    <p class="concert-heading">
      <strong>{concert.name}</strong> · {concert.venue} ·{' '}
      <time dateTime={concert.startsAt}>{dateTime(concert.startsAt)}</time>
    </p>
  );
}

/** Before the opening: no place yet, a random one at the opening for everyone here before it. */
function PreQueueRoom({ place }: { place: Place }) {
  const now = useNow();
  const opensAt = place.salesOpenAt ? Date.parse(place.salesOpenAt) : null;
  const secondsLeft = opensAt === null ? null : (opensAt - now) / 1000;
  return (
    <section class="card stack waiting-room" aria-labelledby="pre-queue-title">
      <h1 id="pre-queue-title">You're in the pre-queue</h1>
      <p class="lead" aria-live="polite" data-testid="pre-queue-status">
        {secondsLeft !== null && secondsLeft > 0
          ? `Sales open in ${clock(secondsLeft)}.`
          : 'Sales are opening: drawing places…'}
      </p>
      <p>
        Everyone who joins before the opening gets a place in a random order then: arriving earlier does not
        help, and the draw can be checked by anyone (see "Checking the draw" in the README).
      </p>
      {place.entryId && (
        <p class="muted">
          Your entry: <code data-testid="entry-id">{place.entryId}</code>
        </p>
      )}
    </section>
  );
}

function WaitingRoom({
  place,
  receivedAt,
  firstPosition,
}: {
  place: Place;
  receivedAt: number;
  firstPosition: number;
}) {
  const now = useNow();
  // WAITING answers always carry a position (null only in the pre-queue).
  const position = place.queuePosition ?? 1;
  const ahead = Math.max(0, position - 1);
  const secondsLeft =
    place.estimatedWaitSeconds == null ? null : place.estimatedWaitSeconds - (now - receivedAt) / 1000;
  // Places moved since joining, counting joining itself: never empty while waiting, full at the door.
  const start = Math.max(firstPosition, position);
  const progress = (start - position + 1) / (start + 1);
  return (
    <section class="card stack waiting-room" aria-labelledby="waiting-title">
      <h1 id="waiting-title">You're in line</h1>
      <p class="lead" aria-live="polite">
        {ahead === 0
          ? 'You are next. Stay on this page: it moves on by itself.'
          : `${ahead.toLocaleString('en')} ${ahead === 1 ? 'person is' : 'people are'} ahead of you.`}
      </p>
      <dl class="figures">
        <div>
          <dt>Your place</dt>
          <dd data-testid="queue-position">{position.toLocaleString('en')}</dd>
        </div>
        <div>
          <dt>Estimated wait</dt>
          <dd>{secondsLeft == null ? (place.estimatedWaitTime ?? '—') : waitText(secondsLeft)}</dd>
        </div>
      </dl>
      {/* value in 0…1 with the default max: setting value before max would clamp it to 1 of 100. */}
      <progress value={progress} aria-label="Progress through the line" />
      <p class="muted">
        Keep this page open. When it's your turn you get {''}a few minutes to pick seats; we'll show you here.
      </p>
    </section>
  );
}

function waitText(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
}

function ActiveWindow({
  place,
  concertId,
  onHeld,
  onLapsed,
}: {
  place: Place;
  concertId: string;
  onHeld: (hold: Hold) => void;
  onLapsed: () => void;
}) {
  const now = useNow();
  const secondsLeft = place.expiresAt ? (Date.parse(place.expiresAt) - now) / 1000 : null;
  useEffect(() => {
    if (secondsLeft !== null && secondsLeft <= 0) onLapsed();
  }, [secondsLeft !== null && secondsLeft <= 0]);
  return (
    <>
      <section class="card banner active" aria-live="polite">
        <h1>
          It's your turn
          {secondsLeft !== null && (
            <>
              : <span data-testid="window-left">{clock(secondsLeft)}</span> left
            </>
          )}
        </h1>
        <p>Pick your seats and hold them. A hold keeps them for you while you pay.</p>
      </section>
      <SeatMap
        concertId={concertId}
        windowEndsAt={place.expiresAt ? Date.parse(place.expiresAt) : null}
        onHeld={onHeld}
        onWindowClosed={onLapsed}
      />
    </>
  );
}

/** The place the fan first had in this queue, kept for the tab so the progress bar survives a reload. */
function useFirstPosition(concertId: string) {
  const key = `sail.firstPosition.${concertId}`;
  const value = useRef(Number(sessionStorage.getItem(key)) || 0);
  return {
    get value() {
      return value.current;
    },
    remember(place: Place) {
      if (
        place.status === 'WAITING' &&
        place.queuePosition !== null &&
        (value.current === 0 || place.queuePosition > value.current)
      ) {
        value.current = place.queuePosition;
        sessionStorage.setItem(key, String(place.queuePosition));
      }
    },
  };
}
