import type { PoolClient } from 'pg';

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Runs a bulk insert into `table` with its secondary indexes and foreign keys set aside, then rebuilds them from
 * the definitions the catalog held (so the migrations stay the only place that defines them). Maintaining
 * random-order indexes and checking each foreign key row by row costs five times the insert itself; one
 * CREATE INDEX and one validating ALTER TABLE per constraint are set-based. Must run inside a transaction.
 */
export async function withConstraintsDeferred<T>(
  db: PoolClient,
  table: string,
  load: () => Promise<T>,
): Promise<T> {
  const indexes = await db.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = $1::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`,
    [table],
  );
  const foreignKeys = await db.query<{ name: string; definition: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
       FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`,
    [table],
  );
  for (const fk of foreignKeys.rows)
    await db.query(`ALTER TABLE ${quoteIdent(table)} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
  for (const index of indexes.rows) await db.query(`DROP INDEX ${quoteIdent(index.name)}`);
  const result = await load();
  for (const index of indexes.rows) await db.query(index.definition);
  for (const fk of foreignKeys.rows)
    await db.query(`ALTER TABLE ${quoteIdent(table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`);
  return result;
}
