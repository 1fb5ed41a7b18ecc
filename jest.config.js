/** @type {import('jest').Config} */
const moduleNameMapper = {
  '^@app/(domain|application|infrastructure)$': '<rootDir>/libs/$1/src/index.ts',
  '^@app/(domain|application|infrastructure)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
};
const common = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  transform,
  testEnvironment: 'node',
};

module.exports = {
  // Setup hooks boot real apps and servers: under jest's 5 s default a loaded machine times one out, and what it
  // started after its afterAll ran (an API, its sockets) is never closed and keeps jest alive. Specs may set more.
  // Set here, for every project: jest 30's test runner (jest-circus) reads only this top-level value, and ignores a
  // project's own `testTimeout` (checked: a 6 s test in a project given 30 s timed out at 5 s).
  testTimeout: 30_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
      // The admin page (apps/admin/src) is browser ES modules whose imports name the built file (`./api.js`);
      // its specs sit next to it, run here under ts-jest, and load its sources: map those names back to the .ts.
      // Only this project loads the page's sources, so only it maps (no other source in the repository imports a
      // relative .js name, and the whole unit project passes with it). apps/admin/tsconfig.json (editors, eslint, `npm run lint`)
      // checks the specs with jest's types; apps/admin/tsconfig.build.json (`npm run build`) leaves them out of dist.
      moduleNameMapper: { ...moduleNameMapper, '^(\\.{1,2}/.*)\\.js$': '$1' },
    },
    // Checks of files (docker-compose.yml, the Dockerfile, the build's output): no database, no global setup.
    { ...common, displayName: 'static', testMatch: ['<rootDir>/test/static/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
  ],
};
