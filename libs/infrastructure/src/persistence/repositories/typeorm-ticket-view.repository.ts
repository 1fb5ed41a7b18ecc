import { type TicketViewPage, type TicketViewRecord, TicketViewRepository } from '@app/application';
import { isUuid } from '@app/domain';
import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from './keyset-cursor';

interface ViewRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly owner_id: string | null;
  readonly name: string;
  readonly is_system: boolean;
  readonly columns: unknown;
  readonly conditions: unknown;
  readonly sort: unknown;
  readonly rank: number;
}

const SELECT = `SELECT id, tenant_id, owner_id, name, is_system, columns, conditions, sort,
                       CASE WHEN is_system THEN 0 ELSE 1 END AS rank
                  FROM ticket_views`;
/** The views a user may use: not deleted, of its tenant, system or its own. */
const USABLE = 'tenant_id = $1 AND deleted_at IS NULL AND (is_system OR owner_id = $2)';

const toRecord = (row: ViewRow): TicketViewRecord => ({
  id: row.id,
  tenantId: row.tenant_id,
  ownerId: row.owner_id,
  name: row.name,
  isSystem: row.is_system,
  columns: row.columns,
  conditions: row.conditions,
  sort: row.sort,
});

export class TypeormTicketViewRepository extends TicketViewRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async findUsable(tenantId: string, userId: string, viewId: string): Promise<TicketViewRecord | null> {
    if (!isUuid(viewId)) return null;
    const rows = await this.dataSource.query<ViewRow[]>(`${SELECT} WHERE ${USABLE} AND id = $3`, [
      tenantId,
      userId,
      viewId,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listUsable(
    tenantId: string,
    userId: string,
    page: { readonly limit: number; readonly cursor: string | null },
  ): Promise<TicketViewPage> {
    const values: unknown[] = [tenantId, userId];
    let after = '';
    if (page.cursor !== null) {
      const [rank, name, id] = decodeCursor('ticket-views', page.cursor, [
        (v) => v === '0' || v === '1',
        () => true,
        isUuid,
      ]);
      values.push(Number(rank), name, id);
      after = ' AND (CASE WHEN is_system THEN 0 ELSE 1 END, name, id) > ($3::int, $4::text, $5::uuid)';
    }
    values.push(page.limit + 1);
    const rows = await this.dataSource.query<ViewRow[]>(
      `${SELECT} WHERE ${USABLE}${after} ORDER BY rank, name, id LIMIT $${values.length}`,
      values,
    );
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map(toRecord),
      nextCursor:
        rows.length > page.limit && last
          ? encodeCursor('ticket-views', [String(last.rank), last.name, last.id])
          : null,
    };
  }
}
