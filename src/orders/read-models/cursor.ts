// Opaque list cursors: the last item's sort key, base64url-encoded JSON (clients must not build them).
import { validationFailed } from '../../http/problem';

export function encodeCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ k: sortKey }), 'utf8').toString('base64url');
}

/** The sort key inside a cursor; 400 VALIDATION_FAILED (field `cursor`) when it is not one of ours. */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof parsed?.k === 'string' && parsed.k.length > 0) return parsed.k;
  } catch {
    // fall through
  }
  throw validationFailed([{ field: 'cursor', message: 'cursor is not valid' }]);
}
