import { useEffect, useState } from 'preact/hooks';
import { api, call, signOut, type Schemas } from '../api.js';
import { useSession } from '../hooks.js';
import { fanMessage } from '../messages.js';
import { SignIn } from '../SignIn.js';
import { ConcertPanel } from './ConcertPanel.js';
import { CreateConcert } from './CreateConcert.js';

/** The operator's console: admins only (the API refuses everyone else with 403). */
export function Console() {
  const state = useSession();
  const [account, setAccount] = useState<Schemas['AccountResponse'] | null>(null);
  const [concerts, setConcerts] = useState<Schemas['ConcertResponse'][] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadConcerts = async () => {
    try {
      setConcerts((await call(api.GET('/admin/concerts'))).concerts);
    } catch (failure) {
      setError(fanMessage(failure));
    }
  };

  useEffect(() => {
    if (state !== 'signedIn') return setAccount(null);
    void call(api.GET('/auth/me'))
      .then((me) => {
        setAccount(me);
        if (me.role === 'ADMIN') void loadConcerts();
      })
      .catch((failure) => setError(fanMessage(failure)));
  }, [state]);

  if (state === 'starting') return <p class="narrow muted">Signing you in…</p>;
  return (
    <>
      <header class="top">
        <a class="brand" href="/admin">
          Sail console
        </a>
        {state === 'signedIn' && (
          <nav aria-label="Main">
            <span class="muted">{account?.email}</span>
            <button type="button" class="link" onClick={() => void signOut()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      {state === 'signedOut' ? (
        <SignIn title="Operator sign-in" allowRegister={false} />
      ) : account && account.role !== 'ADMIN' ? (
        <main class="narrow">
          <h1>Operators only</h1>
          <p role="alert">This account is not an operator. Sign in with an admin account.</p>
        </main>
      ) : (
        <main class="wide">
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <CreateConcert onCreated={() => void loadConcerts()} />
          <h2>Concerts</h2>
          {concerts === null ? (
            <p class="muted">Loading…</p>
          ) : concerts.length === 0 ? (
            <p class="muted">No concerts yet.</p>
          ) : (
            <ul class="cards">
              {concerts.map((concert) => (
                <ConcertPanel key={concert.id} concert={concert} />
              ))}
            </ul>
          )}
        </main>
      )}
    </>
  );
}
