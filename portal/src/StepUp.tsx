import { useEffect, useRef, useState } from 'preact/hooks';
import { api, networkText, problemText, session } from './api/client';
import { Alert } from './ui';
import { getPasskey, passkeyErrorText, passkeysSupported } from './webauthn';

/**
 * "Confirm it is you": some actions (role changes, prescribing) need a second factor proved in the
 * last 10 minutes (docs/API.md §1.1). When the API answers step-up-required, the page shows this
 * form; a code, recovery code or passkey buys a new token pair for the same session, and the page
 * then repeats the action. The form takes focus so keyboard and screen-reader users land on it.
 */
export function StepUp(props: { action: string; onDone: () => void; onCancel: () => void }) {
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  async function prove(body: { code: string } | { recovery_code: string } | { webauthn: Record<string, unknown> }) {
    const { data, error: problem } = await api.POST('/api/v1/auth/mfa/step-up', { body });
    if (!data) return setError(problemText(problem, 'That code was not accepted.'));
    session.start(data);
    props.onDone();
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await prove(recovery ? { recovery_code: code.trim() } : { code: code.replace(/\s+/g, '') });
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
      // With the bearer token, the options are for this user's passkeys (step-up).
      const options = await api.POST('/api/v1/auth/webauthn/login/options', { body: {} });
      if (!options.data) return setError(problemText(options.error, 'Your passkey could not be used.'));
      await prove({ webauthn: await getPasskey(options.data) });
    } catch (err) {
      setError(err instanceof TypeError ? networkText(err) : passkeyErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card stepup" aria-labelledby="stepup-title">
      <h2 id="stepup-title" tabIndex={-1} ref={heading}>
        Confirm it is you
      </h2>
      <p>To {props.action}, enter a code from your authenticator app.</p>
      <form class="form" onSubmit={submit}>
        <label for="stepup-code">{recovery ? 'Recovery code' : 'Authentication code'}</label>
        <input
          id="stepup-code"
          required
          autoComplete="one-time-code"
          inputMode={recovery ? 'text' : 'numeric'}
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          Confirm
        </button>
      </form>
      <div class="actions">
        {passkeysSupported() && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void passkey()}>
            Use a passkey
          </button>
        )}
        <button type="button" class="secondary" onClick={() => setRecovery(!recovery)}>
          {recovery ? 'Use an authenticator code instead' : 'Use a recovery code instead'}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
