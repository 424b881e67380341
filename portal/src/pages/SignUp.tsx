import { useState } from 'preact/hooks';
import { api, networkText, problemText, session } from '../api/client';
import { linkClick } from '../router';
import { Alert, Page } from '../ui';

/** Patients register themselves (active at once); clinicians are approved by staff and use the API for now. */
export function SignUp() {
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const created = await api.POST('/api/v1/auth/register', { body: { email: email.trim(), password, full_name: fullName.trim(), role: 'patient' } });
      if (!created.data) return setError(problemText(created.error, 'The account could not be created.'));
      const login = await api.POST('/api/v1/auth/login', { body: { email: email.trim(), password } });
      if (!login.data || 'mfa_required' in login.data) return setError(problemText(login.error, 'Your account was created; please sign in.'));
      session.start(login.data);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Create a patient account">
      <form onSubmit={submit} class="form">
        <label for="full_name">Full name</label>
        <input id="full_name" name="full_name" autoComplete="name" required value={fullName} onInput={(e) => setFullName(e.currentTarget.value)} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          aria-describedby="password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p id="password-hint" class="hint">
          At least 10 characters; common passwords are refused.
        </p>
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Already registered?{' '}
        <a href="/" onClick={linkClick}>
          Sign in
        </a>
      </p>
    </Page>
  );
}
