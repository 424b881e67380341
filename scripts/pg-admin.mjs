// Runs one administrative SQL statement (CREATE/DROP DATABASE) for the test runner.
import pg from 'pg';
const [url, sql] = process.argv.slice(2);
const client = new pg.Client({ connectionString: url });
try {
  await client.connect();
  await client.query(sql);
} catch (err) {
  console.error(`pg-admin: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.end().catch(() => {});
}
