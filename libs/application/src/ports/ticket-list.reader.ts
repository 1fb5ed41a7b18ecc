import type { TicketQuery } from '@app/domain';

/** One ticket of a list: keyed by column key, `id` always present; ids are numbers, dates ISO 8601 strings. */
export type TicketListItem = Readonly<Record<string, unknown>> & { readonly id: number | string };

export interface TicketListPage {
  readonly items: readonly TicketListItem[];
  readonly nextCursor: string | null;
}

export interface TicketListRequest {
  readonly tenantId: string;
  /** The acting user: what `@me` means. */
  readonly me: string;
  readonly query: TicketQuery;
  /** Zone in which date-only condition values name a day. */
  readonly timezone: string;
  readonly now: Date;
  readonly limit: number;
  readonly cursor: string | null;
}

/**
 * The on-screen ticket list, built by the same query builder as the export so that an export of a view holds
 * exactly these rows in this order. Pages by keyset; a cursor it did not make is a ValidationError (`cursor`).
 */
export abstract class TicketListReader {
  abstract page(request: TicketListRequest): Promise<TicketListPage>;
}
