import { readConfig } from '@app/infrastructure/config/app-config';
import { Pool } from 'pg';

/** A pool on the test database for one spec file; close it in afterAll. */
export function testPool(): Pool {
  return new Pool({ connectionString: readConfig().databaseUrl, max: 4 });
}
