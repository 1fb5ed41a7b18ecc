// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Persistence, queues, storage, formats and HTTP: what neither the domain nor the application layer may import. */
const adapters = [
  'typeorm',
  'typeorm/*',
  'pg',
  'pg-*',
  'bullmq',
  'ioredis',
  '@aws-sdk/*',
  'fast-csv',
  'express',
];
/** The domain also stays free of Nest; application handlers use @nestjs/cqrs. */
const frameworks = ['@nestjs/*', ...adapters];

/** The layer rule: domain <- application <- infrastructure <- apps. */
const layer = (forbidden, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message }] }],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'var/**',
      'exports/**',
      '*.mjs',
      '*.js',
      'scripts/**/*.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: layer(
      [
        ...frameworks,
        '@app/application',
        '@app/application/*',
        '@app/infrastructure',
        '@app/infrastructure/*',
        '**/apps/**',
      ],
      'The domain imports no framework and no outer layer.',
    ),
  },
  {
    files: ['libs/application/**/*.ts'],
    rules: layer(
      [...adapters, '@app/infrastructure', '@app/infrastructure/*', '**/apps/**'],
      'The application layer depends on ports, never on infrastructure.',
    ),
  },
  {
    files: ['libs/infrastructure/**/*.ts'],
    rules: layer(['**/apps/**'], 'Libraries never import an app.'),
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  prettier,
);
