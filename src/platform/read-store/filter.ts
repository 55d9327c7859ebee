// The port's filter and sort semantics in plain JS: the in-memory adapter's engine and how a batch merges its own
// writes into reads. parseFilter/parseSort validate for every adapter.
import { assertFieldPath, Entry, Filter, FindOptions, ID_FIELD, isIdPath, Scalar } from './read-store.port';

const OPERATORS = ['$eq', '$ne', '$in', '$lt', '$lte', '$gt', '$gte'] as const;
export type Operator = (typeof OPERATORS)[number];
export interface Clause {
  path: string;
  op: Operator;
  value: Scalar | Scalar[];
}

/** The range operators, as tests of compareValues' result. */
const RANGE: Partial<Record<Operator, (order: number) => boolean>> = {
  $lt: (order) => order < 0,
  $lte: (order) => order <= 0,
  $gt: (order) => order > 0,
  $gte: (order) => order >= 0,
};

const isScalar = (v: unknown): v is Scalar =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v));

/** Validates a filter and flattens it into clauses (one per operator), refusing what the port does not allow. */
export function parseFilter(filter: Filter): Clause[] {
  const clauses: Clause[] = [];
  for (const [path, condition] of Object.entries(filter)) {
    assertFieldPath(path);
    if (isIdPath(path))
      throw new Error(`Filter on ${path}: the id is not a document field (read by id with get)`);
    if (isScalar(condition)) {
      clauses.push({ path, op: '$eq', value: condition });
      continue;
    }
    if (typeof condition !== 'object' || Array.isArray(condition))
      throw new Error(`Invalid condition on ${path}: ${JSON.stringify(condition)}`);
    for (const [op, value] of Object.entries(condition as Record<string, unknown>)) {
      if (!(OPERATORS as readonly string[]).includes(op))
        throw new Error(`Unsupported operator ${op} on ${path}`);
      if (value === undefined) continue;
      if (op === '$in') {
        if (!Array.isArray(value) || !value.every(isScalar))
          throw new Error(`$in on ${path} needs an array of scalars`);
      } else if (!isScalar(value)) {
        throw new Error(`${op} on ${path} needs a scalar`);
      } else if (op in RANGE && (value === null || typeof value === 'boolean')) {
        throw new Error(`${op} on ${path} compares numbers or strings only`);
      }
      clauses.push({ path, op: op as Operator, value: value as Scalar | Scalar[] });
    }
  }
  return clauses;
}

export function parseSort(options: FindOptions | undefined): [string, 1 | -1][] {
  const sort = Object.entries(options?.sort ?? {});
  for (const [path, dir] of sort) {
    assertFieldPath(path);
    if (path !== ID_FIELD && isIdPath(path)) throw new Error(`Sort on ${path}: the id has no fields`);
    if (dir !== 1 && dir !== -1) throw new Error(`Sort direction of ${path} must be 1 or -1`);
  }
  return sort;
}

export function assertLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    throw new Error(`limit must be a non-negative integer, got ${String(limit)}`);
}

/** The value at a dotted path; undefined when any segment is missing. Non-scalars read as undefined. */
export function valueAt(doc: unknown, path: string): Scalar | undefined {
  let current: unknown = doc;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return isScalar(current) ? current : undefined;
}

const equals = (actual: Scalar | undefined, expected: Scalar): boolean =>
  expected === null ? actual === null || actual === undefined : actual === expected;

function test(actual: Scalar | undefined, { op, value }: Clause): boolean {
  if (op === '$in') return (value as Scalar[]).some((v) => equals(actual, v));
  if (op === '$eq' || op === '$ne') return equals(actual, value as Scalar) === (op === '$eq');
  // MongoDB's type bracketing: a range compares numbers with numbers and strings with strings only.
  return (
    actual !== undefined &&
    actual !== null &&
    typeof actual === typeof value &&
    RANGE[op]!(compareValues(actual, value as Scalar))
  );
}

export function matches(doc: object, clauses: Clause[]): boolean {
  for (const clause of clauses) if (!test(valueAt(doc, clause.path), clause)) return false;
  return true;
}

const typeRank = (v: Scalar | undefined): number =>
  v === undefined || v === null ? 0 : typeof v === 'number' || typeof v === 'boolean' ? 1 : 2;

/** Orders two field values as the port says: null/missing < numbers (booleans as 0/1) < strings. */
export function compareValues(a: Scalar | undefined, b: Scalar | undefined): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  const x = typeof a === 'boolean' ? Number(a) : (a as string | number);
  const y = typeof b === 'boolean' ? Number(b) : (b as string | number);
  return x < y ? -1 : x > y ? 1 : 0;
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareEntries(sort: [string, 1 | -1][]): (a: Entry<object>, b: Entry<object>) => number {
  return (a, b) => {
    for (const [path, dir] of sort) {
      const c =
        path === ID_FIELD
          ? compareIds(a.id, b.id)
          : compareValues(valueAt(a.doc, path), valueAt(b.doc, path));
      if (c !== 0) return c * dir;
    }
    return compareIds(a.id, b.id);
  };
}

/** Filter, sort and limit a list of entries in memory. */
export function query<T extends object>(
  entries: Iterable<Entry<T>>,
  filter: Filter,
  options?: FindOptions,
): Entry<T>[] {
  const clauses = parseFilter(filter);
  const sort = parseSort(options);
  assertLimit(options?.limit);
  const out: Entry<T>[] = [];
  for (const entry of entries) if (matches(entry.doc, clauses)) out.push(entry);
  out.sort(compareEntries(sort));
  return options?.limit === undefined ? out : out.slice(0, options.limit);
}
