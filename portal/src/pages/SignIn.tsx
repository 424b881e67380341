import { useState } from 'preact/hooks';
import { api, networkText, problemText, session } from '../api/client';
import { linkClick } from '../router';
import { Alert, Page } from '../ui';

export function SignIn() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const notice = session.endReason === 'expired' ? 'Your session has ended. Please sign in again.' : null;

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/auth/login', { body: { email: email.trim(), password } });
      if (!data) return setError(problemText(problem, 'Signing in failed.'));
      if ('mfa_required' in data) {
        return setError('This account needs a second factor, which the portal does not support yet. Sign in through the API (/docs) for now.');
      }
      session.start(data);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Sign in">
      {notice && !error && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} class="form" noValidate={false}>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        New patient?{' '}
        <a href="/sign-up" onClick={linkClick}>
          Create an account
        </a>
      </p>
    </Page>
  );
}
