/**
 * The ticket fields a view can show, filter and sort on. One registry serves the API (what exists), validation
 * (what is allowed) and the query builder in infrastructure (which must map every key to SQL).
 */
export type TicketFieldType = 'number' | 'text' | 'date' | 'choice' | 'tags';

export interface TicketFieldDefinition {
  readonly key: string;
  readonly type: TicketFieldType;
  /** Header label when the field is an export column; absent for filter-only fields. */
  readonly label?: string;
  readonly filterable: boolean;
  readonly sortable: boolean;
}

function field<K extends string, L extends string | undefined = undefined>(
  key: K,
  type: TicketFieldType,
  options: { label?: L; filterable?: boolean; sortable?: boolean },
): { key: K; type: TicketFieldType; label: L; filterable: boolean; sortable: boolean } {
  return {
    key,
    type,
    label: options.label as L,
    filterable: options.filterable ?? true,
    sortable: options.sortable ?? true,
  };
}

export const TICKET_FIELDS = [
  field('id', 'number', { label: 'Ticket ID' }),
  field('title', 'text', { label: 'Title' }),
  field('description', 'text', { label: 'Description', sortable: false }),
  field('status', 'choice', { label: 'Status' }),
  field('statusType', 'choice', {}),
  field('priority', 'choice', { label: 'Priority' }),
  field('category', 'choice', { label: 'Category' }),
  field('tags', 'tags', { label: 'Tags', sortable: false }),
  field('assignee', 'choice', { sortable: false }),
  field('assigneeName', 'text', { label: 'Assignee' }),
  field('assigneeEmail', 'text', { label: 'Assignee Email' }),
  field('team', 'choice', { sortable: false }),
  field('teamName', 'text', { label: 'Team' }),
  field('contactName', 'text', { label: 'Contact' }),
  field('contactEmail', 'text', { label: 'Contact Email' }),
  field('createdByName', 'text', { label: 'Created By' }),
  field('creationTime', 'date', { label: 'Created' }),
  field('lastModificationTime', 'date', { label: 'Last Updated' }),
  field('resolvedAt', 'date', { label: 'Resolved' }),
  field('closedAt', 'date', { label: 'Closed' }),
  field('slaDueAt', 'date', { label: 'SLA Due' }),
  field('slaStatus', 'text', { label: 'SLA Status' }),
  field('language', 'text', { label: 'Language' }),
] as const;

export type TicketFieldKey = (typeof TICKET_FIELDS)[number]['key'];

/** Fields that are also export columns, in the order the contract lists them. */
export type TicketColumnKey = Extract<(typeof TICKET_FIELDS)[number], { label: string }>['key'];

export interface TicketColumn {
  readonly key: TicketColumnKey;
  readonly label: string;
  readonly type: TicketFieldType;
}

export const TICKET_COLUMNS: readonly TicketColumn[] = TICKET_FIELDS.flatMap((f: TicketFieldDefinition) =>
  f.label === undefined ? [] : [{ key: f.key as TicketColumnKey, label: f.label, type: f.type }],
);

export const DEFAULT_TICKET_COLUMNS: readonly TicketColumnKey[] = [
  'id',
  'title',
  'status',
  'priority',
  'category',
  'contactName',
  'assigneeName',
  'teamName',
  'creationTime',
];

const FIELDS_BY_KEY: ReadonlyMap<string, TicketFieldDefinition> = new Map(
  TICKET_FIELDS.map((f) => [f.key, f]),
);
const COLUMNS_BY_KEY: ReadonlyMap<string, TicketColumn> = new Map(TICKET_COLUMNS.map((c) => [c.key, c]));

export function findTicketField(key: string): TicketFieldDefinition | undefined {
  return FIELDS_BY_KEY.get(key);
}

export function findTicketColumn(key: string): TicketColumn | undefined {
  return COLUMNS_BY_KEY.get(key);
}

export function isTicketColumnKey(key: unknown): key is TicketColumnKey {
  return typeof key === 'string' && COLUMNS_BY_KEY.has(key);
}
