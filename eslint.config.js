import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { designMapConfigs } from './eslint/design-map.js';

export default tseslint.config(
  { ignores: ['dist/**', 'dist.build-*/**', 'dist.old-*/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // the dependency map of DESIGN.md §2: which folder of src/ may import which, and who imports which package
  ...designMapConfigs(),
);
