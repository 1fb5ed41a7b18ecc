import { readConfig, createDataSource } from '@app/infrastructure';
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** A pool on the shared test database for one spec file; close it in afterAll. */
export function testPool(): Pool {
  return new Pool({ connectionString: readConfig().databaseUrl, max: 4 });
}

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A database of its own, named `..._test`, for specs that need an empty one (migrations, seed). Not created yet. */
export function scratchDatabase(purpose: string): ScratchDatabase {
  const base = new URL(readConfig().databaseUrl);
  const name = `exports_${purpose}_${randomBytes(4).toString('hex')}_test`;
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      base.pathname = '/postgres';
      const admin = new Client({ connectionString: base.toString() });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** An initialized TypeORM DataSource on the shared test database; destroy it in afterAll. */
export async function testDataSource(): Promise<DataSource> {
  const dataSource = createDataSource(readConfig().databaseUrl, 'export-service-test');
  return dataSource.initialize();
}
