import pg from 'pg';

/**
 * A `pg` client that runs the application's data statements as named (prepared) statements.
 *
 * Kysely hands `pg` a SQL text and its parameters; `pg` then sends an unnamed statement, which
 * PostgreSQL parses, analyses and plans again on every call. A read such as a patient's
 * appointment list spent more of PostgreSQL's CPU on that than on running the query (measured
 * in bench/reads.ts, see docs/BENCHMARKS.md "Read paths"). Naming the statement after its text
 * lets each connection parse it once and reuse it; `pg` keeps the per-connection registry.
 *
 * Only SELECT/INSERT/UPDATE/DELETE/WITH statements are named (never DDL, transaction control or
 * SET), and only the first MAX_NAMED distinct texts, so a query whose text varies without bound
 * (an IN list of variable length) cannot grow every connection's statement cache forever.
 * Same text ⇒ same name in every connection of the process, which is what `pg` requires.
 */
const MAX_NAMED = 2_000;
const names = new Map<string, string>();
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;

export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED && DATA_STATEMENT.test(text)) {
    name = `cb${names.size}`;
    names.set(text, name);
  }
  return name;
}

export class PreparingClient extends pg.Client {
  // pg's query() has many overloads; only (text, values) — what Kysely calls — is rewritten.
  override query(...args: unknown[]): never {
    const query = super.query as unknown as (...a: unknown[]) => never;
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && callback === undefined) {
      const name = statementName(text);
      if (name) return query.call(this, { name, text, values });
    }
    return query.apply(this, args);
  }
}
