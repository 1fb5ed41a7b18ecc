import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildTicketQuery, FORMAT_FILE_TYPES } from '@app/domain';
import { type AppConfig, createFileStorage, exportProjection, TicketQueryBuilder } from '@app/infrastructure';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { BenchView } from './environment';
import type { Driver } from './figures';
import { secondsSince } from './stats';

/**
 * Phase 1. The export's own query, as raw CSV from Postgres, into the driver's sink: what no service can beat.
 * Same snapshot isolation and projection as the worker's, one connection, no formatting in Node.
 */
export async function measureBaseline(
  pool: Pool,
  config: AppConfig,
  view: BenchView,
  driver: Driver,
): Promise<{ rows: number; seconds: number }> {
  const query = buildTicketQuery(view, {});
  const requestedAt = new Date();
  const builder = new TicketQueryBuilder(query, {
    tenantId: view.tenantId,
    me: view.userId,
    now: requestedAt,
    timezone: 'UTC',
    cutoff: requestedAt,
  });
  const compiled = builder.copySelect(exportProjection('csv', query.columns));
  const client = await pool.connect();
  const started = process.hrtime.bigint();
  let rows: number;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(compiled.setup.text, compiled.setup.values);
    const copy = client.query(copyTo(`COPY (${compiled.text}) TO STDOUT (FORMAT csv)`));
    const key = `bench/baseline-${randomBytes(4).toString('hex')}.csv`;
    if (driver === 'local') {
      await mkdir(config.storage.localDir, { recursive: true });
      await pipeline(copy, createWriteStream(join(config.storage.localDir, 'baseline.csv')));
    } else {
      const storage = await createFileStorage(config);
      const upload = await storage.beginUpload(key, {
        contentType: FORMAT_FILE_TYPES.csv.contentType,
        fileName: 'baseline.csv',
      });
      await pipeline(copy, upload.body);
      await upload.done();
    }
    rows = Number(copy.rowCount);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return { rows, seconds: secondsSince(started) };
}
