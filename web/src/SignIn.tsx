import { useState } from 'preact/hooks';
import { signIn } from './api.js';
import { fanMessage } from './messages.js';

/** Email and password, to sign in or to create an account (the console offers sign-in only). */
export function SignIn({ title, allowRegister }: { title: string; allowRegister: boolean }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (mode: 'login' | 'register') => {
    setBusy(true);
    setError(null);
    try {
      await signIn(mode, email.trim(), password);
    } catch (failure) {
      setError(fanMessage(failure));
      setBusy(false);
    }
  };

  return (
    <main class="narrow">
      <h1>{title}</h1>
      <form
        class="card stack"
        onSubmit={(event) => {
          event.preventDefault();
          void submit('login');
        }}
      >
        <label>
          Email
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={(event) => setEmail(event.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autocomplete={allowRegister ? 'new-password' : 'current-password'}
            minLength={8}
            maxLength={128}
            required
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          {allowRegister && (
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={(event) => {
                if (event.currentTarget.form?.reportValidity()) void submit('register');
              }}
            >
              Create account
            </button>
          )}
        </div>
      </form>
    </main>
  );
}
