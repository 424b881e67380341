import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import type { paths } from '../api/schema';
import { formatDateTime, validTimeZone } from '../format';
import { Alert, Loading, Page, Status } from '../ui';

type Stats = paths['/api/v1/admin/jobs/stats']['get']['responses'][200]['content']['application/json'];
type Job = Schemas['Job'];
/** GET /ready: each dependency ok, or a 503 problem naming the failing ones (docs/API.md §8). */
type Health = { ready: boolean; checks: Record<string, string>; detail: string | null };

/** /ready is an operational endpoint outside /api/v1 (not in the OpenAPI document): plain fetch, no token. */
async function readiness(): Promise<Health> {
  const res = await fetch('/ready', { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string>; detail?: string };
  return { ready: res.ok, checks: body.checks ?? {}, detail: res.ok ? null : (body.detail ?? `The service answered ${res.status}.`) };
}

/** "3 min 20 s" for a lag in seconds. */
function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/**
 * Admins: service health (the readiness of the database, Redis and file storage) and background jobs (reminders, notifications, exports…). Per queue the backlog (due
 * now), jobs waiting for later, in flight, dead letters and completed in the last 24 h, with
 * how late the oldest due job is (GET /admin/jobs/stats); the answering instance's worker; and
 * the dead letters (failed jobs, their last error — never their payloads) with Retry.
 */
export function Jobs(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [stats, setStats] = useState<Stats | null>(null);
  const [failed, setFailed] = useState<Job[] | null>(null);
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function load() {
    setError(null);
    try {
      const [s, f, h] = await Promise.all([
        api.GET('/api/v1/admin/jobs/stats'),
        api.GET('/api/v1/admin/jobs', { params: { query: { state: 'failed', limit: 50 } } }),
        readiness().catch((err: unknown) => ({ ready: false, checks: {}, detail: networkText(err) })),
      ]);
      setHealth(h);
      if (!s.data) return setError(problemText(s.error, 'Job statistics could not be loaded.'));
      setStats(s.data);
      if (!f.data) return setError(problemText(f.error, 'Failed jobs could not be loaded.'));
      setFailed(f.data.items);
    } catch (err) {
      setError(networkText(err));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  async function refresh() {
    if (busy) return;
    setBusy('refresh');
    setStatus(null);
    await load();
    setBusy(null);
    setStatus('Figures refreshed.');
  }

  async function retry(job: Job) {
    if (busy) return;
    setBusy(job.id);
    setError(null);
    setStatus(null);
    try {
      const { error: problem, response } = await api.POST('/api/v1/admin/jobs/{id}/retry', { params: { path: { id: job.id } } });
      if (!response.ok) return setError(problemText(problem, 'The job could not be retried.'));
      setStatus(`The ${job.queue} job is queued again.`);
      await load();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Page title="Jobs and health">
      <Alert message={error} />
      <Status message={status} />
      {health && (
        <section aria-labelledby="health">
          <h2 id="health">Service health</h2>
          <p class={health.ready ? undefined : 'alert'}>{health.ready ? 'Ready: every dependency answers.' : health.detail}</p>
          {Object.keys(health.checks).length > 0 && (
            <ul>
              {Object.entries(health.checks).map(([name, state]) => (
                <li key={name}>
                  {name}: {state === 'ok' ? 'OK' : 'failing'}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {!stats && !error && <Loading what="job statistics" />}
      {stats && (
        <>
          <p class="muted">
            Measured {formatDateTime(stats.measured_at, timeZone)}.{' '}
            <button type="button" class="secondary" disabled={busy !== null} onClick={() => void refresh()}>
              Refresh
            </button>
          </p>
          <h2 id="queues">Queues</h2>
          {stats.queues.length === 0 && <p>No jobs in any queue yet.</p>}
          {stats.queues.length > 0 && (
            <ul class="cards" aria-labelledby="queues">
              {stats.queues.map((q) => (
                <li key={q.queue} class={`card${q.failed > 0 ? ' urgent' : ''}`}>
                  <h3>{q.queue}</h3>
                  <dl class="figures">
                    <div>
                      <dt>Due now</dt>
                      <dd>{q.due}</dd>
                    </div>
                    <div>
                      <dt>Waiting for later</dt>
                      <dd>{q.delayed}</dd>
                    </div>
                    <div>
                      <dt>Running</dt>
                      <dd>{q.active}</dd>
                    </div>
                    <div>
                      <dt>Failed</dt>
                      <dd>{q.failed}</dd>
                    </div>
                    <div>
                      <dt>Done in 24 h</dt>
                      <dd>{q.completed}</dd>
                    </div>
                    <div>
                      <dt>Oldest due waits</dt>
                      <dd>{q.due ? duration(q.oldest_due_lag_seconds) : '—'}</dd>
                    </div>
                    <div>
                      <dt>Longest running</dt>
                      <dd>{q.active ? duration(q.oldest_active_seconds) : '—'}</dd>
                    </div>
                  </dl>
                </li>
              ))}
            </ul>
          )}
          <h2>This instance's worker</h2>
          <p>
            {stats.instance.running ? 'Running' : 'Not running'} · {stats.instance.in_flight} in flight · {stats.instance.completed} completed ·{' '}
            {stats.instance.failed} failed · {stats.instance.retried} retried · {stats.instance.reaped} recovered after a crash (since it started)
          </p>
        </>
      )}
      {failed && (
        <>
          <h2 id="failed">Failed jobs</h2>
          {failed.length === 0 && <p>No failed jobs.</p>}
          {failed.length > 0 && (
            <ul class="cards" aria-labelledby="failed">
              {failed.map((job) => (
                <li key={job.id} class="card">
                  <h3>{job.queue}</h3>
                  <p class="muted">
                    {job.attempts} of {job.max_attempts} attempts · last {formatDateTime(job.updated_at, timeZone)}
                  </p>
                  {job.last_error && <p class="pre">{job.last_error}</p>}
                  <button type="button" class="secondary" disabled={busy !== null} onClick={() => void retry(job)}>
                    Retry
                    <span class="sr-only">
                      {' '}
                      the {job.queue} job that failed {formatDateTime(job.updated_at, timeZone)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}
