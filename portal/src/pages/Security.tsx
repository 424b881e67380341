import { useEffect, useState } from 'preact/hooks';
import { api, needsStepUp, networkText, problemText, session, type User } from '../api/client';
import { formatDateTime, validTimeZone } from '../format';
import { StepUp } from '../StepUp';
import { Alert, Loading, Page, Status } from '../ui';
import { createPasskey, passkeyErrorText, passkeysSupported } from '../webauthn';

type Passkey = { id: string; name: string; transports: string[]; created_at: string; last_used_at: string | null };

/**
 * Security, for every role: the account's passkeys and authenticator app (docs/API.md §1.1). Adding one asks for the
 * password (the API's rule: a stolen access token alone cannot add a factor), then the browser's
 * own passkey dialog; the new passkey then signs in without a password ("Continue with a passkey")
 * or proves the second factor. Removing one needs a recent second factor: the step-up form
 * appears and the removal is repeated after it.
 */
export function Security(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [items, setItems] = useState<Passkey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [pending, setPending] = useState<{ action: string; run: () => Promise<void> } | null>(null);
  const supported = passkeysSupported();

  async function load() {
    try {
      const { data, error: problem } = await api.GET('/api/v1/auth/webauthn/credentials');
      if (!data) return setError(problemText(problem, 'Your passkeys could not be loaded.'));
      setItems(data.items);
    } catch (err) {
      setError(networkText(err));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  async function add(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const options = await api.POST('/api/v1/auth/webauthn/register/options', { body: { password } });
      if (!options.data) return setError(problemText(options.error, 'A passkey could not be added.'));
      const response = await createPasskey(options.data);
      const label = name.trim();
      const { data, error: problem } = await api.POST('/api/v1/auth/webauthn/register/verify', { body: { response, ...(label && { name: label }) } });
      if (!data) return setError(problemText(problem, 'The passkey was not accepted.'));
      setPassword('');
      setName('');
      setStatus(`Passkey "${data.name}" added. You can now sign in with it.`);
      await load();
    } catch (err) {
      setError(err instanceof TypeError ? networkText(err) : passkeyErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function rename(event: Event) {
    event.preventDefault();
    if (!renaming || busy) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const { data, error: problem } = await api.PATCH('/api/v1/auth/webauthn/credentials/{id}', {
        params: { path: { id: renaming.id } },
        body: { name: renaming.name.trim() },
      });
      if (!data) return setError(problemText(problem, 'The passkey could not be renamed.'));
      setRenaming(null);
      setStatus(`Passkey renamed to "${data.name}".`);
      await load();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(passkey: Passkey) {
    if (busy) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const { error: problem, response } = await api.DELETE('/api/v1/auth/webauthn/credentials/{id}', { params: { path: { id: passkey.id } } });
      if (response.ok) {
        setPending(null);
        setStatus(`Passkey "${passkey.name}" removed.`);
        await load();
      } else if (needsStepUp(response)) {
        setPending({ action: `remove the passkey "${passkey.name}"`, run: () => remove(passkey) });
      } else setError(problemText(problem, 'The passkey could not be removed.'));
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Security">
      <h2 id="passkeys">Passkeys</h2>
      <p>A passkey signs you in with your device's screen lock or a security key instead of your password. It cannot be phished: it only works on this site.</p>
      <Alert message={error} />
      <Status message={status} />
      {pending && <StepUp action={pending.action} onDone={() => void pending.run()} onCancel={() => setPending(null)} />}
      {items === null && !error && <Loading what="your passkeys" />}
      {items && items.length === 0 && <p>You have no passkeys yet.</p>}
      {items && items.length > 0 && (
        <ul class="cards" aria-labelledby="passkeys">
          {items.map((p) => (
            <li key={p.id} class="card">
              <h3>{p.name}</h3>
              <p class="muted">
                Added {formatDateTime(p.created_at, timeZone)} · {p.last_used_at ? `last used ${formatDateTime(p.last_used_at, timeZone)}` : 'not used yet'}
              </p>
              {renaming?.id === p.id ? (
                <form class="form inline" onSubmit={rename}>
                  <div>
                    <label for={`rename-${p.id}`}>New name for {p.name}</label>
                    <input
                      id={`rename-${p.id}`}
                      required
                      maxLength={100}
                      value={renaming.name}
                      onInput={(e) => setRenaming({ id: p.id, name: e.currentTarget.value })}
                    />
                  </div>
                  <button type="submit" disabled={busy}>
                    Save name
                  </button>
                  <button type="button" class="secondary" onClick={() => setRenaming(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <div class="actions">
                  <button type="button" class="secondary" aria-label={`Rename ${p.name}`} onClick={() => setRenaming({ id: p.id, name: p.name })}>
                    Rename
                  </button>
                  <button type="button" class="secondary" disabled={busy} aria-label={`Remove ${p.name}`} onClick={() => void remove(p)}>
                    Remove
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <h2>Add a passkey</h2>
      {supported ? (
        <form class="form" onSubmit={add}>
          <label for="passkey-password">Your password</label>
          <input
            id="passkey-password"
            type="password"
            autoComplete="current-password"
            required
            aria-describedby="passkey-password-hint"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <p id="passkey-password-hint" class="hint">
            Asked so that nobody else at this screen can add a way into your account.
          </p>
          <label for="passkey-name">Name (optional, for example "My phone")</label>
          <input id="passkey-name" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            Add a passkey
          </button>
        </form>
      ) : (
        <p>This browser cannot use passkeys. Try an up-to-date browser.</p>
      )}
      <Authenticator />
    </Page>
  );
}

/**
 * The authenticator app (TOTP): set it up (password, then the QR code or key, then a first
 * code; the ten recovery codes are shown once and the session continues with the new token
 * pair) or remove it (password and a current code). The API does not say whether one is set
 * up; setting up a second answers 409, whose detail is shown.
 */
function Authenticator() {
  const [mode, setMode] = useState<'idle' | 'setup' | 'remove'>('idle');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [setup, setSetup] = useState<{ secret: string; qr_svg: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  function reset(next: typeof mode) {
    setMode(next);
    setPassword('');
    setCode('');
    setSetup(null);
    setError(null);
  }

  async function run(action: () => Promise<void>) {
    if (busy) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await action();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  const start = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { data, error: problem } = await api.POST('/api/v1/auth/mfa/totp/setup', { body: { password } });
      if (!data) return setError(problemText(problem, 'An authenticator app could not be set up.'));
      setPassword('');
      setSetup(data);
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { data, error: problem } = await api.POST('/api/v1/auth/mfa/totp/confirm', { body: { code: code.replace(/\s+/g, '') } });
      if (!data) return setError(problemText(problem, 'That code was not accepted.'));
      // The new pair proves the factor just now (amr otp): the session continues with it.
      session.start(data);
      reset('idle');
      setCodes(data.recovery_codes);
      setStatus('Two-step verification is on: signing in now asks for a code from your app.');
    });
  };

  const remove = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { error: problem, response } = await api.DELETE('/api/v1/auth/mfa/totp', { body: { password, code: code.replace(/\s+/g, '') } });
      if (!response.ok) return setError(problemText(problem, 'The authenticator app could not be removed.'));
      reset('idle');
      setCodes(null);
      setStatus('The authenticator app is removed.');
    });
  };

  return (
    <section aria-labelledby="totp">
      <h2 id="totp">Authenticator app</h2>
      <p>A code from an app such as FreeOTP, Aegis, Google or Microsoft Authenticator, asked after your password when you sign in.</p>
      <Alert message={error} />
      <Status message={status} />
      {codes && (
        <>
          <p>Recovery codes: each signs you in once if you lose your app. Store them somewhere safe now; they are not shown again.</p>
          <ul class="codes" aria-label="Recovery codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {mode === 'idle' && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => reset('setup')}>
            Set up an authenticator app
          </button>
          <button type="button" class="secondary" onClick={() => reset('remove')}>
            Remove the authenticator app
          </button>
        </div>
      )}
      {mode === 'setup' && !setup && (
        <form class="form" onSubmit={start}>
          <label for="totp-password">Your password, to set up the app</label>
          <input
            id="totp-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" disabled={busy}>
              Continue
            </button>
            <button type="button" class="secondary" onClick={() => reset('idle')}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {mode === 'setup' && setup && (
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
          <form class="form" onSubmit={confirm}>
            <label for="totp-code">Authentication code</label>
            <input id="totp-code" required autoComplete="one-time-code" inputMode="numeric" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
            <div class="actions">
              <button type="submit" disabled={busy}>
                Turn on two-step verification
              </button>
              <button type="button" class="secondary" onClick={() => reset('idle')}>
                Cancel
              </button>
            </div>
          </form>
        </>
      )}
      {mode === 'remove' && (
        <form class="form" onSubmit={remove}>
          <label for="totp-remove-password">Your password, to remove the app</label>
          <input
            id="totp-remove-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <label for="totp-remove-code">A current code from the app</label>
          <input id="totp-remove-code" required autoComplete="one-time-code" inputMode="numeric" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          <div class="actions">
            <button type="submit" disabled={busy}>
              Remove it
            </button>
            <button type="button" class="secondary" onClick={() => reset('idle')}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
