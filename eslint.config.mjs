// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as litConfigs } from 'eslint-plugin-lit';
import { configs as wcConfigs } from 'eslint-plugin-wc';
import litA11y from 'eslint-plugin-lit-a11y';
import { importX } from 'eslint-plugin-import-x';
import noOnlyTests from 'eslint-plugin-no-only-tests';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'cdn/',
      'coverage/',
      '.stack/',
      '.artifacts/',
      '.test-results/',
      'custom-elements.json',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        // Browser code, Node tests and the stack have different libs, hence several projects.
        project: [
          './tsconfig.json',
          './tsconfig.node.json',
          './stack/tsconfig.json',
          './test/stack/tsconfig.json',
          './bench/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'test/browser/**/*.ts'],
    extends: [
      litConfigs['flat/recommended'],
      wcConfigs['flat/recommended'],
      wcConfigs['flat/best-practice'],
      litA11y.configs.recommended,
    ],
    settings: { wc: { elementBaseClasses: ['LitElement'] } },
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX, 'no-only-tests': noOnlyTests },
    rules: {
      'import-x/extensions': ['error', 'always', { ignorePackages: true }],
      'no-only-tests/no-only-tests': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // The core is framework-free: it must not import Lit or draw DOM.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['lit', 'lit/*', '@lit/*'], message: 'src/core is framework-free.' }],
        },
      ],
      'no-restricted-globals': ['error', 'document', 'HTMLElement', 'customElements'],
    },
  },
  {
    // Elements and controllers reach media and Matrix only through the core.
    files: ['src/elements/**/*.ts', 'src/controller/**/*.ts', 'src/events/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['livekit-client', 'livekit-client/*', 'matrix-js-sdk', 'matrix-js-sdk/*'],
              message: 'Elements talk to the core only (src/core).',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
