import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.tmp/**',
      'bench/out/**',
      'actions/lib/profile/schema-validator.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Action logic stays testable: only the glue may talk to the runner.
    files: ['actions/**/*.ts'],
    ignores: [
      'actions/lib/github-context.ts',
      'actions/lib/action-entry.ts',
      'actions/lib/runner-commands.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@actions/core', message: 'Use the ActionContext from actions/lib/context.ts.' }],
          patterns: [
            {
              group: ['**/runner-commands.js'],
              message: 'Use the ActionContext from actions/lib/context.ts.',
            },
          ],
        },
      ],
    },
  },
);
