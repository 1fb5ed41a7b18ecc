/**
 * Environment of every integration and e2e test file. The database must end in `_test`: the global setup refuses
 * anything else, so a test can never touch a developer's or production data.
 */
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/exports_test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
process.env.LOG_LEVEL ??= 'warn';
