import type { TicketColumnKey, TicketFieldKey } from '@app/domain';

/** Postgres types the builder casts parameters and cursor values to. */
export type SqlType =
  'bigint' | 'integer' | 'text' | 'uuid' | 'timestamptz' | 'boolean' | 'text[]' | 'bigint[]';

export interface SqlField {
  /** The value as it is filtered on (status key, team id, ...). */
  readonly filter: string;
  readonly filterType: SqlType;
  /** The value as a column shows it (status label, team name, ...). */
  readonly select?: string;
  /** The value as it sorts (status and priority by their sort order). */
  readonly sort?: string;
  readonly sortType?: SqlType;
  readonly nullable: boolean;
}

/**
 * Table aliases used by every ticket query: t tickets, st statuses, pr priorities, asg assignee, tm team,
 * ct contact, cb creator. LEFT JOINs on unique keys that a query does not reference are removed by the planner.
 */
export const TICKET_FROM = `
  FROM tickets t
  JOIN ticket_statuses st ON st.id = t.status_id
  LEFT JOIN ticket_priorities pr ON pr.id = t.priority_id
  LEFT JOIN users asg ON asg.id = t.assignee_id
  LEFT JOIN teams tm ON tm.id = t.team_id
  LEFT JOIN contacts ct ON ct.id = t.contact_id
  LEFT JOIN users cb ON cb.id = t.created_by_id`;

const plain = (expr: string, type: SqlType, nullable: boolean): SqlField => ({
  filter: expr,
  filterType: type,
  select: expr,
  sort: expr,
  sortType: type,
  nullable,
});

/** Every field of the domain registry mapped to SQL; the Record type makes a missing key a compile error. */
export const TICKET_SQL_FIELDS: Readonly<Record<TicketFieldKey, SqlField>> = {
  id: plain('t.id', 'bigint', false),
  title: plain('t.title', 'text', false),
  description: { filter: 't.description', filterType: 'text', select: 't.description', nullable: false },
  status: {
    filter: 'st.key',
    filterType: 'text',
    select: 'st.label',
    sort: 'st.sort_order',
    sortType: 'integer',
    nullable: false,
  },
  statusType: { filter: 'st.type', filterType: 'text', sort: 'st.type', sortType: 'text', nullable: false },
  priority: {
    filter: 'pr.key',
    filterType: 'text',
    select: 'pr.label',
    sort: 'pr.sort_order',
    sortType: 'integer',
    nullable: true,
  },
  category: plain('t.category', 'text', true),
  tags: { filter: 't.tags', filterType: 'text[]', select: 't.tags', nullable: false },
  assignee: { filter: 't.assignee_id', filterType: 'uuid', nullable: true },
  assigneeName: plain('asg.name', 'text', true),
  assigneeEmail: plain('asg.email', 'text', true),
  team: { filter: 't.team_id', filterType: 'uuid', nullable: true },
  teamName: plain('tm.name', 'text', true),
  contactName: plain('ct.name', 'text', true),
  contactEmail: plain('ct.email', 'text', true),
  createdByName: plain('cb.name', 'text', true),
  creationTime: plain('t.creation_time', 'timestamptz', false),
  lastModificationTime: plain('t.last_modification_time', 'timestamptz', true),
  resolvedAt: plain('t.resolved_at', 'timestamptz', true),
  closedAt: plain('t.closed_at', 'timestamptz', true),
  slaDueAt: plain('t.sla_due_at', 'timestamptz', true),
  slaStatus: plain('t.sla_status', 'text', true),
  language: plain('t.language', 'text', true),
};

export function columnSql(key: TicketColumnKey): string {
  const select = TICKET_SQL_FIELDS[key].select;
  if (select === undefined) throw new Error(`Field "${key}" is not a column`);
  return select;
}
