/**
 * Platform benchmark (issue 3): a bare Fastify hello route, GET /health, an authenticated
 * GET /auth/me and POST /auth/login, measured in one run against the same server process.
 * Uses PostgreSQL when DATABASE_URL is set (npm run bench sets it), PGlite otherwise.
 */
import { startTarget, stopTarget, load, machine, table, type LoadResult } from './lib.js';

const duration = Number(process.env.BENCH_SECONDS ?? 10);
const target = await startTarget();
const base = `http://127.0.0.1:${target.info.app}`;
try {
  const email = `bench-${Date.now()}@example.test`;
  const password = 'benchmark password 2026';
  const register = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, full_name: 'Bench Mark', role: 'patient' }),
  });
  if (register.status !== 201) throw new Error(`register failed: ${register.status} ${await register.text()}`);
  const session = (await (
    await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  ).json()) as { access_token: string };

  // Warm-up so JIT and pools are settled before measuring.
  await load('warm-up', { url: `${base}/api/v1/auth/me`, duration: 2, headers: { authorization: `Bearer ${session.access_token}` } });

  const results: LoadResult[] = [];
  results.push(await load('bare Fastify `GET /hello`', { url: `http://127.0.0.1:${target.info.hello}/hello`, duration }));
  results.push(await load('`GET /health`', { url: `${base}/health`, duration }));
  results.push(
    await load('`GET /api/v1/auth/me` (JWT + session lookup)', {
      url: `${base}/api/v1/auth/me`,
      duration,
      headers: { authorization: `Bearer ${session.access_token}` },
    }),
  );
  results.push(
    await load('`POST /api/v1/auth/login` (argon2id verify)', {
      url: `${base}/api/v1/auth/login`,
      duration,
      connections: 8,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    }),
  );
  // The same call with the session cache off: every request checks the session in PostgreSQL.
  const uncached = await startTarget({ SESSION_CACHE_SECONDS: '0' });
  try {
    const uncachedBase = `http://127.0.0.1:${uncached.info.app}`;
    await fetch(`${uncachedBase}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, full_name: 'Bench Mark', role: 'patient' }),
    });
    const s2 = (await (
      await fetch(`${uncachedBase}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      })
    ).json()) as { access_token: string };
    await load('warm-up', { url: `${uncachedBase}/api/v1/auth/me`, duration: 2, headers: { authorization: `Bearer ${s2.access_token}` } });
    results.push(
      await load('`GET /api/v1/auth/me`, SESSION_CACHE_SECONDS=0 (PostgreSQL lookup every request)', {
        url: `${uncachedBase}/api/v1/auth/me`,
        duration,
        headers: { authorization: `Bearer ${s2.access_token}` },
      }),
    );
  } finally {
    await stopTarget(uncached);
  }
  const hello = results[0]!.requestsPerSecond;
  const me = results[2]!.requestsPerSecond;
  console.log(`\n## Platform (database: ${target.info.database})\n\nMachine: ${machine()}. Duration ${duration} s per scenario, 50 connections (login: 8).\n`);
  console.log(table(results));
  console.log(`\n/auth/me ÷ hello = ${((me / hello) * 100).toFixed(1)} % (target ≥ 40 %)`);
} finally {
  await stopTarget(target);
}
