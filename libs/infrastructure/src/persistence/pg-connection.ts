import { Logger } from '@nestjs/common';
import { Client, type ClientConfig, type Pool, type PoolConfig } from 'pg';
import type { DataSource } from 'typeorm';

const logger = new Logger('PostgreSQL');

/** A failure's name for a log line: its code (SQLSTATE, socket code) when it has one, never its message's SQL. */
function errorName(error: Error): string {
  return (error as { code?: string }).code ?? error.message;
}

/**
 * A pg Client that is never without an 'error' listener. pg-pool listens to its idle clients only: a client that is
 * checked out (a TypeORM transaction, the export's snapshot) and loses its connection emits 'error' with nobody
 * listening, which kills the process. The listener only logs: the query in flight fails on its own, and the pool
 * discards the broken client when it is released.
 */
export class GuardedPgClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', (error: Error) =>
      logger.warn({ err: errorName(error) }, 'a PostgreSQL connection failed; it is discarded'),
    );
  }
}

/** Logs what a pool reports (an idle client that lost its connection); without a listener the process would die. */
export function guardPool<P extends { on(event: 'error', listener: (error: Error) => void): unknown }>(
  pool: P,
  name: string,
): P {
  pool.on('error', (error) => logger.warn({ pool: name, err: errorName(error) }, 'PostgreSQL pool error'));
  return pool;
}

/**
 * Timeouts every pool of the service sets, so that a PostgreSQL that stops answering ends the call instead of
 * wedging it: a connection attempt gives up after 10 s, TCP keepalive finds a dead peer, and `query_timeout` (a
 * client-side read timeout) ends an ordinary query that got no answer. The export's COPY and count are not
 * ordinary: they run on a pool without `query_timeout` (PgExportFileSource bounds them itself).
 */
export const PG_CONNECT_TIMEOUT_MS = 10_000;
export const PG_QUERY_TIMEOUT_MS = 30_000;

export function pgPoolOptions(options: { queryTimeout: boolean }): PoolConfig {
  return {
    Client: GuardedPgClient,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.queryTimeout ? { query_timeout: PG_QUERY_TIMEOUT_MS } : {}),
  };
}

/**
 * The pg Pool under a TypeORM DataSource (the same connections, the same limits and timeouts): for the hottest
 * reads, which use it directly with a named (prepared) statement and skip TypeORM's query runner per call.
 */
export function pgPoolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver as { master?: Pool };
  if (!driver.master) throw new Error('the DataSource is not a connected PostgreSQL DataSource');
  return driver.master;
}
