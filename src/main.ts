import closeWithGrace from 'close-with-grace';
import { loadConfig, ConfigError } from './platform/config.js';
import { buildApp } from './app.js';

/**
 * Process entry point: validate config, build, seed, listen; on SIGINT/SIGTERM stop
 * accepting, let in-flight requests finish, close sockets and background jobs, then exit.
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

const where = `http://${config.host}:${config.port}`;
console.log(
  [
    '',
    `CareBridge is running on ${where}  (database: ${built.ctx.database.kind}${config.redisUrl ? ', redis' : ''})`,
    `  API docs:  ${where}/docs   ReDoc: ${where}/redoc   OpenAPI: ${where}/openapi.json`,
    ...(credentials.length ? [config.seedDemo ? '  Demo accounts (role, email, password):' : '  Accounts (ADMIN_EMAIL / ADMIN_PASSWORD):', ...credentials.map((line) => `    ${line}`)] : []),
    '',
  ].join('\n'),
);

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await built.close();
});
