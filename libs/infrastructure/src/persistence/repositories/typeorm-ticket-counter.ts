import { TicketCounter, type TicketCountRequest } from '@app/application';
import type { DataSource } from 'typeorm';
import { TicketQueryBuilder } from '../../tickets/ticket-query-builder';

/**
 * How long a count at request time may take: what "cheap" means. Past it the request goes on and the worker counts
 * in the export's snapshot instead (a request must not wait on a scan of millions of rows).
 */
export const CHEAP_COUNT_TIMEOUT_MS = 1000;

/** PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';

/** Counts with the one TicketQueryBuilder, as the export will (created at or before now, not deleted). */
export class TypeormTicketCounter extends TicketCounter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly timeoutMs = CHEAP_COUNT_TIMEOUT_MS,
  ) {
    super();
  }

  async countAtMost(request: TicketCountRequest, atMost: number): Promise<number | null> {
    const builder = new TicketQueryBuilder(request.query, {
      tenantId: request.tenantId,
      me: request.me,
      now: request.now,
      timezone: request.timezone,
      cutoff: request.now,
    });
    const count = builder.countAtMost(atMost);
    try {
      return await this.dataSource.transaction(async (manager) => {
        await manager.query("SELECT set_config('statement_timeout', $1, true)", [String(this.timeoutMs)]);
        const rows = await manager.query<{ count: string }[]>(count.text, count.values);
        return Number(rows[0].count);
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === QUERY_CANCELED) return null;
      throw error;
    }
  }
}
