import { useEffect } from 'preact/hooks';
import { signOut } from '../api.js';
import { useHashRoute, useSession } from '../hooks.js';
import { SignIn } from '../SignIn.js';
import { ConcertPage } from './ConcertPage.js';
import { Concerts } from './Concerts.js';
import { Tickets } from './Tickets.js';

export function App() {
  const state = useSession();
  const route = useHashRoute();
  const concertId = /^\/concert\/([\w-]+)$/.exec(route)?.[1];

  useEffect(() => {
    document.title = concertId
      ? 'Sail: your concert'
      : route === '/tickets'
        ? 'Sail: my tickets'
        : 'Sail tickets';
  }, [route]);

  if (state === 'starting') return <p class="narrow muted">Signing you in…</p>;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          Sail
        </a>
        {state === 'signedIn' && (
          <nav aria-label="Main">
            <a href="#/" aria-current={route === '/' ? 'page' : undefined}>
              Concerts
            </a>
            <a href="#/tickets" aria-current={route === '/tickets' ? 'page' : undefined}>
              My tickets
            </a>
            <button type="button" class="link" onClick={() => void signOut()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      {state === 'signedOut' ? (
        <SignIn title="Sign in to buy tickets" allowRegister />
      ) : concertId ? (
        <ConcertPage key={concertId} concertId={concertId} />
      ) : route === '/tickets' ? (
        <Tickets />
      ) : (
        <Concerts />
      )}
    </>
  );
}
