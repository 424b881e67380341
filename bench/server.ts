/**
 * Benchmark target, run in its own process so the load generator doesn't share its
 * event loop: the full CareBridge app (on PostgreSQL when DATABASE_URL is set) and, for a
 * baseline, a bare Fastify hello route. Prints {"app": port, "hello": port} once ready.
 */
import Fastify from 'fastify';
import { loadConfig } from '../src/platform/config.js';
import { buildApp } from '../src/app.js';

const schema = `bench_${Date.now().toString(36)}`;
const config = loadConfig(
  {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_AUTH_PER_MIN: '1000000',
    RATE_LIMIT_API_PER_MIN: '10000000',
    LOGIN_MAX_FAILURES: '1000',
  },
  { databaseSchema: process.env.DATABASE_URL ? schema : null, embeddedDatabase: 'memory', port: 0 },
);
const built = await buildApp(config);
await built.app.listen({ host: '127.0.0.1', port: 0 });

const hello = Fastify({ logger: false });
hello.get('/hello', async () => ({ hello: 'world' }));
await hello.listen({ host: '127.0.0.1', port: 0 });

const portOf = (app: typeof hello) => {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
};
process.stdout.write(
  JSON.stringify({ app: portOf(built.app as unknown as typeof hello), hello: portOf(hello), database: built.ctx.database.kind, schema }) + '\n',
);

async function shutdown() {
  await hello.close();
  await built.close();
  if (config.databaseUrl) {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
