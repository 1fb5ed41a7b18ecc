import {
  type TicketListItem,
  type TicketListPage,
  TicketListReader,
  type TicketListRequest,
} from '@app/application';
import type { DataSource } from 'typeorm';
import { TicketQueryBuilder } from '../../tickets/ticket-query-builder';

/** JSON-ready values: bigint ids as numbers (as strings beyond 2^53), dates as ISO 8601 UTC, arrays as they are. */
function jsonValue(key: string, value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (key === 'id' && typeof value === 'string') {
    const id = Number(value);
    return Number.isSafeInteger(id) ? id : value;
  }
  return value;
}

/** The on-screen list through the one TicketQueryBuilder, paged by its keyset cursors. */
export class TypeormTicketListReader extends TicketListReader {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async page(request: TicketListRequest): Promise<TicketListPage> {
    const builder = new TicketQueryBuilder(request.query, {
      tenantId: request.tenantId,
      me: request.me,
      now: request.now,
      timezone: request.timezone,
    });
    const select = builder.listSelect();
    const sql = builder.select({ select, after: request.cursor, limit: request.limit + 1 });
    const rows = await this.dataSource.query<Record<string, unknown>[]>(sql.text, sql.values);
    const page = rows.slice(0, request.limit);
    const last = page.at(-1);
    return {
      items: page.map(
        (row) =>
          Object.fromEntries(
            select.map(({ alias }) => [alias, jsonValue(alias, row[alias])]),
          ) as TicketListItem,
      ),
      nextCursor: rows.length > request.limit && last ? builder.cursorAfter(last) : null,
    };
  }
}
