// The port's filter and sort semantics in plain JS: the in-memory adapter uses them as its engine, the buffered
// batch writer to merge a batch's own writes into reads, and any adapter may use them to check its results.
import {
  assertFieldPath,
  Condition,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  isIdPath,
  Scalar,
} from './read-store.port';

const OPERATORS = new Set(['$eq', '$ne', '$in', '$lt', '$lte', '$gt', '$gte']);
const RANGE = new Set(['$lt', '$lte', '$gt', '$gte']);

export type Operator = '$eq' | '$ne' | '$in' | '$lt' | '$lte' | '$gt' | '$gte';
export interface Clause {
  path: string;
  op: Operator;
  value: Scalar | Scalar[];
}

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
    if (typeof condition !== 'object' || Array.isArray(condition)) {
      throw new Error(`Invalid condition on ${path}: ${JSON.stringify(condition)}`);
    }
    for (const [op, value] of Object.entries(condition as Record<string, unknown>)) {
      if (!OPERATORS.has(op)) throw new Error(`Unsupported operator ${op} on ${path}`);
      if (value === undefined) continue;
      if (op === '$in') {
        if (!Array.isArray(value) || !value.every(isScalar))
          throw new Error(`$in on ${path} needs an array of scalars`);
      } else if (!isScalar(value)) {
        throw new Error(`${op} on ${path} needs a scalar`);
      } else if (RANGE.has(op) && (value === null || typeof value === 'boolean')) {
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
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new Error(`limit must be a non-negative integer, got ${String(limit)}`);
  }
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

const typeRank = (v: Scalar | undefined): number =>
  v === undefined || v === null ? 0 : typeof v === 'number' || typeof v === 'boolean' ? 1 : 2;

const sameBracket = (a: Scalar | undefined, b: Scalar): boolean =>
  a !== undefined && a !== null && typeof a === typeof b;

function equals(actual: Scalar | undefined, expected: Scalar): boolean {
  if (expected === null) return actual === null || actual === undefined;
  return actual === expected;
}

function test(actual: Scalar | undefined, clause: Clause): boolean {
  const { op, value } = clause;
  switch (op) {
    case '$eq':
      return equals(actual, value as Scalar);
    case '$ne':
      return !equals(actual, value as Scalar);
    case '$in':
      return (value as Scalar[]).some((v) => equals(actual, v));
    case '$lt':
      return sameBracket(actual, value as Scalar) && (actual as string | number) < (value as string | number);
    case '$lte':
      return (
        sameBracket(actual, value as Scalar) && (actual as string | number) <= (value as string | number)
      );
    case '$gt':
      return sameBracket(actual, value as Scalar) && (actual as string | number) > (value as string | number);
    case '$gte':
      return (
        sameBracket(actual, value as Scalar) && (actual as string | number) >= (value as string | number)
      );
  }
}

export function matches(doc: object, clauses: Clause[]): boolean {
  for (const clause of clauses) if (!test(valueAt(doc, clause.path), clause)) return false;
  return true;
}

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

export type { Condition };
