import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type User } from '../api/client';
import { Alert, Loading, Page } from '../ui';

/** The query an app sent to /oauth/authorize (GET /oauth/authorize redirects here with it). */
const FIELDS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'aud', 'code_challenge', 'code_challenge_method'] as const;
type AuthorizeQuery = Record<(typeof FIELDS)[number], string>;

const TYPES: Record<string, string> = {
  '*': 'all your health records',
  Patient: 'your personal details',
  Observation: 'your lab results',
  DiagnosticReport: 'your lab reports',
  Condition: 'your diagnoses',
  MedicationRequest: 'your prescriptions',
  Appointment: 'your appointments',
  Encounter: 'your past visits',
  AuditEvent: 'who looked at your records',
};

/** One granted scope in words a patient understands (SMART scopes: src/modules/fhir/smart/scopes.ts). */
function describe(scope: string, role: string): string {
  if (scope === 'openid' || scope === 'fhirUser') return 'Know who you are (your name and CareBridge id)';
  if (scope === 'launch/patient') return 'Open your own record';
  const match = /^(patient|user)\/(\*|[A-Za-z]+)\.(.+)$/.exec(scope);
  if (!match) return scope;
  const [, level, type, rights] = match;
  const what =
    level === 'user' && role !== 'patient'
      ? `${type === '*' ? 'every record' : `${type} records`} you can see in CareBridge`
      : (TYPES[type!] ?? `${type} records`);
  const verbs = rights === 'read' || /^r?s?$/.test(rights!) ? 'Read' : 'Read and change';
  return `${verbs} ${what}`;
}

/** SMART App Launch consent: what an app asks for, and the user's decision (docs/FHIR.md "SMART App Launch"). */
export function SmartAuthorize(props: { user: User }) {
  const [query] = useState<AuthorizeQuery | null>(() => {
    const params = new URLSearchParams(location.search);
    if (!params.get('client_id') || !params.get('redirect_uri')) return null;
    return Object.fromEntries(FIELDS.map((field) => [field, params.get(field) ?? ''])) as AuthorizeQuery;
  });
  const [preview, setPreview] = useState<{ client_name: string; scopes: string[]; error: string | null; error_description: string | null } | null>(null);
  const [error, setError] = useState<string | null>(query ? null : 'This page is opened by an app asking for access; the address has no request in it.');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!query) return;
    void (async () => {
      try {
        const { data, error: problem } = await api.POST('/api/v1/smart/authorize/preview', { body: query });
        if (!data) return setError(problemText(problem, 'The app’s request could not be checked.'));
        setPreview(data);
      } catch (err) {
        setError(networkText(err));
      }
    })();
  }, [query]);

  async function decide(approve: boolean) {
    if (!query || busy) return;
    setBusy(true);
    try {
      const { data, error: problem } = await api.POST('/api/v1/smart/authorize', { body: { ...query, approve } });
      if (!data) {
        setBusy(false);
        return setError(problemText(problem, 'Your answer could not be recorded.'));
      }
      // Back to the app, with a one-time code (or the refusal).
      location.assign(data.redirect_to);
    } catch (err) {
      setBusy(false);
      setError(networkText(err));
    }
  }

  return (
    <Page title={preview ? `Allow ${preview.client_name} to use your CareBridge account?` : 'An app asks for access'}>
      <Alert message={error} />
      {query && !preview && !error && <Loading what="the app's request" />}
      {preview && preview.error && (
        <>
          <p>{preview.error_description ?? 'This request cannot be granted.'}</p>
          <button type="button" disabled={busy} onClick={() => void decide(false)}>
            Return to the app
          </button>
        </>
      )}
      {preview && !preview.error && (
        <>
          <p>
            Signed in as <strong>{props.user.full_name}</strong>. If you allow it, <strong>{preview.client_name}</strong> will be able to:
          </p>
          <ul>
            {[...new Set(preview.scopes.map((scope) => describe(scope, props.user.role)))].map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <p class="muted">
            Access lasts until the app’s token expires or you end it under your sessions. The app never sees your password, and it cannot do anything you could
            not do yourself.
          </p>
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void decide(true)}>
              Allow
            </button>{' '}
            <button type="button" class="secondary" disabled={busy} onClick={() => void decide(false)}>
              Don’t allow
            </button>
          </div>
        </>
      )}
    </Page>
  );
}
