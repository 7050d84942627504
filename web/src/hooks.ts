import { useEffect, useState } from 'preact/hooks';
import { resumeSession, session } from './api.js';

/** 'starting' while a reload signs in again from the stored refresh token. */
export function useSession(): 'starting' | 'signedIn' | 'signedOut' {
  const [state, setState] = useState<'starting' | 'signedIn' | 'signedOut'>(() =>
    session.signedIn ? 'signedIn' : session.hasStoredSession ? 'starting' : 'signedOut',
  );
  useEffect(() => {
    const off = session.onChange(() => setState(session.signedIn ? 'signedIn' : 'signedOut'));
    if (state === 'starting')
      void resumeSession().then((resumed) => setState(resumed ? 'signedIn' : 'signedOut'));
    return off;
  }, []);
  return state;
}

/** The current time, updated every second while mounted: drives countdowns. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** location.hash without the '#', e.g. "/concert/…". */
export function useHashRoute(): string {
  const read = () => location.hash.replace(/^#/, '') || '/';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
