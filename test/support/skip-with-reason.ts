// The one sanctioned way to skip a test: with a reason, printed and carried in the title. Committed `.only`,
// `.skip`, `xit`, `fit` … are refused by the lint rule in eslint.config.mjs; this file is its only exception.
// Jest reports these tests as skipped (never as passed); the reason goes straight to stderr because jest prints
// no titles of skipped tests by default (nor console output of a file whose tests are all skipped).

/** Registers a skipped test titled `<title> — SKIPPED: <reason>` and prints that line after `prefix`. */
export function itSkippedWithReason(title: string, reason: string, prefix = '[skipped] '): void {
  const skippedTitle = `${title} — SKIPPED: ${reason}`;
  process.stderr.write(`\n${prefix}${skippedTitle}\n`);
  // eslint-disable-next-line no-restricted-properties -- the sanctioned skip: reason printed and in the title
  it.skip(skippedTitle, () => undefined);
}

/** `it(title, fn)`; when `skipReason` is a string instead, a skipped test saying why (itSkippedWithReason). */
export function itUnless(skipReason: string | null, title: string, fn: () => Promise<unknown>): void {
  if (skipReason === null) it(title, fn);
  else itSkippedWithReason(title, skipReason);
}
