// Lint lives with CI so the top level stays fixed (package.json, tsconfig.json, src, workers, api, test); `npm run lint` points here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname + '/..';

export default tseslint.config(
  { ignores: ['node_modules/**', '.baton/**', 'coverage/**', 'test/bench/results/**', 'src/sdk/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O modules.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^node:', message: 'Workflow code must be deterministic: no Node builtins.' },
          { regex: '^(fs|path|os|crypto|child_process|net|http|https|dns|timers|worker_threads|events|stream)(/.*)?$', message: 'Workflow code must be deterministic: no Node builtins.' },
          { regex: '^@temporalio/(client|worker|activity|testing)$', message: 'Workflow code may import @temporalio/workflow only.' },
          { regex: '^(pg|kysely|@electric-sql/.*|hono|@hono/.*|openai|undici)$', message: 'Workflow code must not do I/O.' },
          { regex: '(^|/)(store|activities|agents|temporal|sdk)(/|$)', allowTypeImports: true, message: 'Workflow code imports types only from I/O modules.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'fetch', message: 'No I/O in workflow code: use an activity.' },
        { name: 'process', message: 'No environment access in workflow code.' },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
