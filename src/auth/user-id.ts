/** The one grammar of a user id: a token's `sub`, an order's buyerId and sellerId, a route's :sellerId. */
export const USER_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,128}$';
export const USER_ID_RE = new RegExp(USER_ID_PATTERN);
/** Ids no user may have: `system` is the scheduler's actor. */
export const RESERVED_USER_IDS: readonly string[] = ['system'];

export const isUserId = (value: unknown): value is string =>
  typeof value === 'string' && USER_ID_RE.test(value) && !RESERVED_USER_IDS.includes(value);
