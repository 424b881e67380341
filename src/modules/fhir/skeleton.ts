import type { Resource } from './mapping.js';
import { FhirError, invalid } from './outcome.js';
import { encodeCursor, intersectDates, parseDate, single, type Cursor, type DateRange, type Query } from './search.js';

/**
 * The one search skeleton every resource type runs (docs/FHIR.md, "Search"): the compartment
 * rule first (who may be searched), then the parameters every type reads the same way (`_id`,
 * the type's date, `_lastUpdated`, `_sort`, `_cursor`), one keyset page from the type's own
 * query, the audit of what is returned, and the resources (with `_include`s). A type only says
 * how to fetch a page and how to map a row; the rules around it are written once, here.
 */

/** What every search parses the same way. Values are checked here; each type applies the ones it lists. */
interface SearchCriteria {
  /** `_id` values (comma-separated and repeated alike), unchecked: each type knows its id shape. */
  ids?: string[];
  /** The type's own date parameter (`date`, or `start` for Slot), prefixes ANDed. */
  date: DateRange;
  /** `_lastUpdated` (meta.lastUpdated), prefixes ANDed. */
  lastUpdated: DateRange;
  /** `_sort=-date` (the default) or `date`. */
  descending: boolean;
  /** The opaque `_cursor` of the previous page's `next` link. */
  cursor: string | undefined;
}

interface SearchPage<Row> {
  rows: Row[];
  /** The `_cursor` of the next page, or null on the last page. */
  next: string | null;
}

export interface SearchPlan<Scope, Row> {
  /** The compartment rule (a patient their own, a doctor their patients…): throws the 404/400 of docs/FHIR.md "Access". */
  scope(): Promise<Scope> | Scope;
  /** Whether the query rules out everything this type stores (e.g. `category=vital-signs` on lab results). */
  empty?(scope: Scope, criteria: SearchCriteria): boolean;
  /** One page of at most `count` rows, in the search's order, from the type's own keyset query. */
  page(scope: Scope, criteria: SearchCriteria, count: number): Promise<SearchPage<Row>>;
  /** Audit what the page returns (and the compartment it named), as the REST list does. */
  audit?(rows: Row[], scope: Scope): Promise<void>;
  resource(row: Row): Resource;
  /** `_include`d resources for the page (each type audits what it adds). */
  include?(rows: Row[], scope: Scope): Promise<Resource[]>;
  /** Page size when counting for `_total=accurate` (a REST list behind the type may take at most 100). */
  countChunk?: number;
}

export interface SearchResult {
  matches: Resource[];
  included?: Resource[];
  next: string | null;
  /** Only with `_total=accurate`. */
  total?: number;
}

/** The most rows `_total=accurate` counts; beyond it the search must be narrowed (a 400, never a guess). */
const MAX_TOTAL = 10_000;

const SORT_DATE = new Set(['date', '-date']);

/** `_sort`: by the type's date, newest first unless `date` is asked for. */
function descendingOf(query: Query): boolean {
  const sort = single(query, '_sort');
  if (sort !== undefined && !SORT_DATE.has(sort)) throw new FhirError(400, 'not-supported', `_sort=${sort} is not supported (date or -date).`, '_sort');
  return sort !== 'date';
}

function datesOf(query: Query, name: string): DateRange {
  return intersectDates((query.get(name) ?? []).map((value) => parseDate(name, value)));
}

/** The common criteria of one query (`dateParam`: the type's date parameter, if it has one). */
function criteriaOf(query: Query, options: { dateParam?: string; sortable?: boolean } = {}): SearchCriteria {
  return {
    ids: query.get('_id')?.flatMap((v) => v.split(',')),
    date: options.dateParam ? datesOf(query, options.dateParam) : {},
    lastUpdated: datesOf(query, '_lastUpdated'),
    descending: options.sortable ? descendingOf(query) : true,
    cursor: single(query, '_cursor'),
  };
}

/**
 * A keyset page from `count + 1` rows fetched in order: the extra row only says there is a next
 * page, whose cursor is the position of the last row returned.
 */
export function keysetPage<Row>(rows: Row[], count: number, position: (row: Row) => Cursor): SearchPage<Row> {
  const page = rows.slice(0, count);
  const last = page.at(-1);
  return { rows: page, next: rows.length > count && last ? encodeCursor(position(last)) : null };
}

/**
 * Runs a plan: compartment → criteria → page → audit → resources and includes. With `total`,
 * the matches are counted by walking the same access-checked keyset pages (nothing is returned
 * or audited for the count); more than MAX_TOTAL is a 400 asking for a narrower search.
 */
export async function runSearch<Scope, Row>(
  plan: SearchPlan<Scope, Row>,
  query: Query,
  count: number,
  options: { dateParam?: string; sortable?: boolean; total?: boolean } = {},
): Promise<SearchResult> {
  const scope = await plan.scope();
  const criteria = criteriaOf(query, options);
  if (plan.empty?.(scope, criteria)) return { matches: [], next: null, ...(options.total && { total: 0 }) };
  const page = count === 0 ? { rows: [], next: null } : await plan.page(scope, criteria, count);
  await plan.audit?.(page.rows, scope);
  const included = page.rows.length && plan.include ? await plan.include(page.rows, scope) : undefined;
  const result: SearchResult = { matches: page.rows.map((row) => plan.resource(row)), next: page.next, ...(included && { included }) };
  if (options.total) result.total = await countAll(plan, scope, criteria);
  return result;
}

async function countAll<Scope, Row>(plan: SearchPlan<Scope, Row>, scope: Scope, criteria: SearchCriteria): Promise<number> {
  const chunk = plan.countChunk ?? 1000;
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await plan.page(scope, { ...criteria, cursor }, chunk);
    total += page.rows.length;
    if (total > MAX_TOTAL)
      throw new FhirError(400, 'too-costly', `More than ${MAX_TOTAL} matches: _total=accurate needs a narrower search (add patient, code or date).`, '_total');
    cursor = page.next ?? undefined;
  } while (cursor);
  return total;
}

/** `_total`: `accurate` counts; `none` and `estimate` (which this server does not make) leave it out. */
export function totalWanted(query: Query): boolean {
  const value = single(query, '_total');
  if (value === undefined || value === 'none' || value === 'estimate') return false;
  if (value === 'accurate') return true;
  throw invalid(`_total=${value}: use accurate, estimate or none.`, '_total');
}
