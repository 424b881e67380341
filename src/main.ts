import closeWithGrace from 'close-with-grace';
import { loadConfig, ConfigError } from './platform/config.js';
import { buildApp } from './app.js';

/**
 * Process entry point: validate config, build, seed, listen; on SIGINT/SIGTERM stop
 * accepting, answer what is in flight (with `Connection: close`), close sockets and
 * background work, then exit 0. Run it directly — `node dist/main.js` after `npm run build`,
 * or `npm start`, whose script `exec`s node so the signal reaches this process (README,
 * "Running in production").
 */
let config;
try {
  config = loadConfig(process.env, {});
  if (process.env.SEED_DEMO === undefined) config.seedDemo = process.env.npm_lifecycle_event === 'start' || process.env.npm_lifecycle_event === 'dev';
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

const built = await buildApp(config);
const { app } = built;

// Installed before seeding and listening, so a signal during either still closes the
// database cleanly. The delay is a last resort: a clean drain takes well under 2 s
// (test/process/shutdown.test.ts); past it the process exits 1 rather than hang.
closeWithGrace({ delay: 10_000, logger: { error: (message: unknown) => app.log.error(message) } }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await built.close();
  app.log.info('shut down');
});

const credentials = await built.start();
try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  await built.close();
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${config.port} on ${config.host} is already in use: stop the other server or set PORT to a free port.`);
    process.exit(1);
  }
  throw err;
}
built.warmUp();

// PORT=0 asks the OS for a free port (the process tests use it): print the one we got.
const address = app.server.address();
const where = `http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`;
console.log(
  [
    '',
    `CareBridge is running on ${where}  (database: ${built.ctx.database.kind}${config.redisUrl ? ', redis' : ''})`,
    `  API docs:  ${where}/docs   ReDoc: ${where}/redoc   OpenAPI: ${where}/openapi.json`,
    ...(credentials.length
      ? [
          config.seedDemo ? '  Demo accounts (role, email, password):' : '  Accounts (ADMIN_EMAIL / ADMIN_PASSWORD):',
          ...credentials.map((line) => `    ${line}`),
        ]
      : []),
    '',
  ].join('\n'),
);
