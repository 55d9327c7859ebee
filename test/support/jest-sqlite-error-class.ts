// better-sqlite3's native addon is loaded once per process, and on first use it is handed the SqliteError class of
// the module registry that opened the first database. Jest gives every test file its own registry, so in later
// files `error instanceof Database.SqliteError` would be false for real SQLite errors (a missing table, a
// constraint). Re-arm the addon before each test file so that the file's own SqliteError class is the one thrown.
import { dirname } from 'node:path';

// `bindings` (better-sqlite3's own loader) ships no types.
type Bindings = (options: { bindings: string; module_root: string }) => { isInitialized?: boolean };

try {
  const root = dirname(require.resolve('better-sqlite3/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bindings = require('bindings') as Bindings;
  const addon = bindings({ bindings: 'better_sqlite3.node', module_root: root });
  addon.isInitialized = false;
} catch {
  // better-sqlite3 not built: the tests that need it fail on their own with a clear error.
}
