import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', '.scratch/', 'scripts/*.cjs', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // No focused or skipped tests in commits: a committed .only silently drops the rest of a suite, a committed
    // .skip hides a test forever. The sanctioned skip prints its reason: itSkippedWithReason / itUnless in
    // test/support/skip-with-reason.ts (the one place allowed to call it.skip, with a disable comment).
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].flatMap((object) => [
          { object, property: 'only', message: 'Focused test committed: remove .only.' },
          {
            object,
            property: 'skip',
            message: 'Skipped test: use itSkippedWithReason / itUnless (test/support/skip-with-reason.ts).',
          },
        ]),
      ],
      'no-restricted-globals': [
        'error',
        ...['fit', 'fdescribe', 'ftest'].map((name) => ({
          name,
          message: 'Focused test committed: use it/describe.',
        })),
        ...['xit', 'xdescribe', 'xtest'].map((name) => ({
          name,
          message: 'Skipped test: use itSkippedWithReason / itUnless (test/support/skip-with-reason.ts).',
        })),
      ],
    },
  },
);
