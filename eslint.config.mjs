// @ts-check
import { readFileSync } from 'node:fs';
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
  'nodemailer',
];
/** The domain also stays free of Nest; application handlers use @nestjs/cqrs. */
const frameworks = ['@nestjs/*', ...adapters];
/** Adapters' own packages that a port must never leak into the inner layers either. */
const adapterGlue = [
  '@fast-csv/*',
  'jsonwebtoken',
  '@nestjs/typeorm',
  '@nestjs/bullmq',
  '@nestjs/platform-express',
];

/** What `npm prune --omit=dev` leaves out of the image: code the image runs must not import it. */
const { devDependencies } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const devOnly = Object.keys(devDependencies)
  .filter((name) => !name.startsWith('@types/'))
  .flatMap((name) => [name, `${name}/*`]);

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
        ...adapterGlue,
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
      [...adapters, ...adapterGlue, '@app/infrastructure', '@app/infrastructure/*', '**/apps/**'],
      'The application layer depends on ports, never on infrastructure.',
    ),
  },
  {
    files: ['libs/infrastructure/**/*.ts'],
    rules: layer(['**/apps/**'], 'Libraries never import an app.'),
  },
  {
    // Outside the library, infrastructure is its index (adapters, config, seed data), its Nest modules and the
    // adapters over heavy SDKs (sdk-adapters, loaded only where used): its internal files can move without touching
    // an app, a tool or a test.
    files: ['apps/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts'],
    ignores: ['test/support/global-setup.ts'],
    rules: layer(
      [
        '@app/infrastructure/*',
        '!@app/infrastructure/nest',
        '!@app/infrastructure/nest/*',
        '!@app/infrastructure/sdk-adapters',
        '**/libs/*/src/**',
      ],
      'Import infrastructure through @app/infrastructure, @app/infrastructure/sdk-adapters or its Nest modules (@app/infrastructure/nest/*).',
    ),
  },
  {
    // What the image ships (apps, libs; tests and testing helpers aside) needs neither tools/ nor a dev dependency.
    // A rule of its own, so that it adds to the layer rules above instead of replacing them.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/tools/**'],
              message: 'tools/ (demo, bench) is for development and not in the image.',
            },
            {
              group: devOnly,
              message:
                'A dev dependency is not in the image (npm prune --omit=dev); tools/ and tests may use it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Development tools (demo, bench): run from the build, never shipped, so dev dependencies are theirs to import.
    files: ['tools/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  prettier,
);
