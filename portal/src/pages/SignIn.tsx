import { useState } from 'preact/hooks';
import { api, networkText, problemText, session, type User } from '../api/client';
import { linkClick } from '../router';
import { Alert, Page } from '../ui';
import { getPasskey, passkeyErrorText, passkeysSupported } from '../webauthn';

type TokenPair = { access_token: string; refresh_token: string; user: User };
type Method = 'totp' | 'recovery_code' | 'webauthn';
/** A sign-in that passed the password and now owes a second factor (docs/API.md §1.1). */
type Challenge = { mfaToken: string; methods: Method[]; enrolment: boolean };

/**
 * Sign-in: password, then — when the account has or needs a second factor — an authenticator
 * code, a recovery code or a passkey; an account whose role needs a factor it does not have yet
 * (admins by default, MFA_REQUIRED_ROLES) sets up an authenticator app here and is shown its
 * recovery codes once. A passkey alone also signs in (passwordless, user verification required).
 */
export function SignIn() {
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [error, setError] = useState<string | null>(null);
  const restart = (message: string | null) => {
    setChallenge(null);
    setError(message);
  };
  if (challenge?.enrolment) return <TotpEnrolment challenge={challenge} onRestart={restart} />;
  if (challenge) return <SecondFactor challenge={challenge} onRestart={restart} />;
  return <PasswordStep onChallenge={setChallenge} initialError={error} />;
}

function PasswordStep(props: { onChallenge: (challenge: Challenge) => void; initialError: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(props.initialError);
  const notice = session.endReason === 'expired' ? 'Your session has ended. Please sign in again.' : null;

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/auth/login', { body: { email: email.trim(), password } });
      if (!data) return setError(problemText(problem, 'Signing in failed.'));
      if ('mfa_required' in data) return props.onChallenge({ mfaToken: data.mfa_token, methods: data.methods, enrolment: data.enrolment_required });
      session.start(data);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  async function passkey() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const options = await api.POST('/api/v1/auth/webauthn/login/options', { body: {} });
      if (!options.data) return setError(problemText(options.error, 'Passkey sign-in is not available.'));
      const response = await getPasskey(options.data);
      const { data, error: problem } = await api.POST('/api/v1/auth/webauthn/login/verify', { body: { response } });
      if (!data) return setError(problemText(problem, 'The passkey was not accepted.'));
      session.start(data);
    } catch (err) {
      setError(err instanceof TypeError ? networkText(err) : passkeyErrorText(err));
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
      <form onSubmit={submit} class="form">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username webauthn" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
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
      {passkeysSupported() && (
        <p>
          <button type="button" class="secondary" disabled={busy} onClick={() => void passkey()}>
            Continue with a passkey
          </button>
        </p>
      )}
      <p>
        New patient?{' '}
        <a href="/sign-up" onClick={linkClick}>
          Create an account
        </a>
      </p>
    </Page>
  );
}

/** The one-time code field: digits only, the browser may fill it from an SMS/app (one-time-code). */
function CodeField(props: { id: string; label: string; value: string; onInput: (value: string) => void; recovery?: boolean }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        required
        autoComplete="one-time-code"
        inputMode={props.recovery ? 'text' : 'numeric'}
        spellcheck={false}
        aria-describedby={`${props.id}-hint`}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <p id={`${props.id}-hint`} class="hint">
        {props.recovery
          ? 'One of the recovery codes you saved when you set up two-step verification. Each works once.'
          : 'The 6-digit code your authenticator app shows now.'}
      </p>
    </>
  );
}

/**
 * The sign-in attempt is over (its mfa_token expired or was spent after 5 wrong proofs, or the
 * account's factor is locked for a while: 429): the user starts again from the password.
 */
function spent(problem: unknown, status: number): boolean {
  const detail = (problem as { detail?: string } | undefined)?.detail ?? '';
  return status === 429 || (status === 401 && /sign in again/i.test(detail));
}

function SecondFactor(props: { challenge: Challenge; onRestart: (message: string | null) => void }) {
  const { challenge } = props;
  const canCode = challenge.methods.includes('totp');
  const [mode, setMode] = useState<'totp' | 'recovery_code'>(canCode ? 'totp' : 'recovery_code');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function verify(body: { code: string } | { recovery_code: string } | { webauthn: Record<string, unknown> }) {
    const { data, error: problem, response } = await api.POST('/api/v1/auth/mfa/verify', { body: { mfa_token: challenge.mfaToken, ...body } });
    if (data) return session.start(data);
    if (spent(problem, response.status)) return props.onRestart(problemText(problem, 'This sign-in has expired. Please sign in again.'));
    setError(problemText(problem, 'That code was not accepted.'));
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await verify(mode === 'totp' ? { code: code.replace(/\s+/g, '') } : { recovery_code: code.trim() });
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  async function passkey() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const options = await api.POST('/api/v1/auth/webauthn/login/options', { body: { mfa_token: challenge.mfaToken } });
      if (!options.data) return setError(problemText(options.error, 'Your passkey could not be used.'));
      await verify({ webauthn: await getPasskey(options.data) });
    } catch (err) {
      setError(err instanceof TypeError ? networkText(err) : passkeyErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Two-step verification">
      <p>Your password was right. To finish signing in, prove it is you with your second factor.</p>
      <form onSubmit={submit} class="form">
        {mode === 'totp' ? (
          <CodeField key="code" id="code" label="Authentication code" value={code} onInput={setCode} />
        ) : (
          <CodeField key="recovery" id="recovery" label="Recovery code" value={code} onInput={setCode} recovery />
        )}
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          Verify
        </button>
      </form>
      <div class="actions">
        {challenge.methods.includes('webauthn') && passkeysSupported() && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void passkey()}>
            Use a passkey
          </button>
        )}
        {canCode && challenge.methods.includes('recovery_code') && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setMode(mode === 'totp' ? 'recovery_code' : 'totp');
              setCode('');
              setError(null);
            }}
          >
            {mode === 'totp' ? 'Use a recovery code instead' : 'Use an authenticator code instead'}
          </button>
        )}
        <button type="button" class="secondary" onClick={() => props.onRestart(null)}>
          Cancel
        </button>
      </div>
    </Page>
  );
}

/** First sign-in of an account whose role needs a second factor: set up an authenticator app. */
function TotpEnrolment(props: { challenge: Challenge; onRestart: (message: string | null) => void }) {
  const [setup, setSetup] = useState<{ secret: string; qr_svg: string } | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ pair: TokenPair; codes: string[] } | null>(null);

  async function start() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem, response } = await api.POST('/api/v1/auth/mfa/totp/setup', { body: { mfa_token: props.challenge.mfaToken } });
      if (data) return setSetup(data);
      if (spent(problem, response.status)) return props.onRestart(problemText(problem, 'This sign-in has expired. Please sign in again.'));
      setError(problemText(problem, 'Two-step verification could not be set up.'));
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const {
        data,
        error: problem,
        response,
      } = await api.POST('/api/v1/auth/mfa/totp/confirm', {
        body: { mfa_token: props.challenge.mfaToken, code: code.replace(/\s+/g, '') },
      });
      if (data) return setDone({ pair: data, codes: data.recovery_codes });
      if (spent(problem, response.status)) return props.onRestart(problemText(problem, 'This sign-in has expired. Please sign in again.'));
      setError(problemText(problem, 'That code was not accepted.'));
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <Page title="Save your recovery codes">
        <p>
          Two-step verification is on. If you lose your authenticator app, each of these codes signs you in once. Store them somewhere safe now: they are not
          shown again.
        </p>
        <ul class="codes" aria-label="Recovery codes">
          {done.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => session.start(done.pair)}>
          I have saved my codes, continue
        </button>
      </Page>
    );
  }

  return (
    <Page title="Set up two-step verification">
      <p>Your role needs a second factor. Use an authenticator app (for example FreeOTP, Aegis, Google or Microsoft Authenticator).</p>
      {!setup ? (
        <>
          <Alert message={error} />
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void start()}>
              Set up an authenticator app
            </button>
            <button type="button" class="secondary" onClick={() => props.onRestart(null)}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <>
          <ol>
            <li>
              Scan this code with the app:
              <img class="qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}`} alt="QR code for your authenticator app" />
            </li>
            <li>
              Or type this key into it: <code class="secret">{setup.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
            </li>
            <li>Enter the code the app shows.</li>
          </ol>
          <form onSubmit={confirm} class="form">
            <CodeField id="code" label="Authentication code" value={code} onInput={setCode} />
            <Alert message={error} />
            <button type="submit" disabled={busy}>
              Turn on two-step verification
            </button>
          </form>
        </>
      )}
    </Page>
  );
}
