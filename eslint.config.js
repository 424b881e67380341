// Lint: typescript-eslint's recommended rules over src/, test/, bench/ and scripts/ (README, "Code
// habits"). Type-aware rules are not enabled: they would double CI's lint time on two cores for
// little gain over `tsc --strict`, which CI runs anyway.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'portal/dist/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are bugs or leftovers; a leading underscore marks a deliberately unused one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
    },
  },
  {
    // Tests and benchmarks poke into JSON replies and child-process messages; typing every shape would add noise, not safety.
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Migrations are written against `Kysely<any>` on purpose: they must not depend on today's
    // table types, which change with later migrations (Kysely's own advice).
    files: ['**/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Command-line programs print their results.
    files: ['bench/**', 'scripts/**', 'src/main.ts', '**/eval/**', '**/eval.ts', 'src/platform/database/migrate-cli.ts', '**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
);
