// Lint: ESLint's and typescript-eslint's recommended rules; the type checker runs separately
// (`tsc --noEmit` in `npm run lint`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'examples/*/dist/**', 'node_modules/**', 'data/**', 'certs/**', 'test-results/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', performance: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', AbortSignal: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Adapters reach the host through the SDK only (factorgate/adapter; in this repository
    // src/sdk/adapter.ts), never through src internals, and never through each other.
    files: ['adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?!sdk/adapter\\.js$)',
              message: 'Adapters import only the SDK: factorgate/adapter (src/sdk/adapter.js in this repository).',
            },
            {
              regex: '^(\\.\\./)+(saml-idp|saml-bridge|forms-proxy|ws-fed)/',
              message: 'Adapters never import each other; share through the SDK or a primary provider.',
            },
          ],
        },
      ],
    },
  },
  {
    // factorgate/express runs inside other people's apps: it talks HTTP to factorgate and
    // imports nothing of it (no path out of its folder).
    files: ['src/express/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: 'factorgate/express imports nothing of factorgate: only its own folder and packages (jose).' }] }],
    },
  },
  {
    // The example plugin is written the way a plugin outside this repository must be: the SDK by
    // package name, nothing else of factorgate.
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+(src|adapters)/', message: 'A plugin imports factorgate only as factorgate/adapter.' }] },
      ],
    },
  },
);
