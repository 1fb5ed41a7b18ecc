/** A saved view as stored; its columns, conditions and sort are validated when a query is built from them. */
export interface TicketViewRecord {
  readonly id: string;
  readonly tenantId: string;
  /** Null for a system view. */
  readonly ownerId: string | null;
  readonly name: string;
  readonly isSystem: boolean;
  readonly columns: unknown;
  readonly conditions: unknown;
  readonly sort: unknown;
}

export interface TicketViewPage {
  readonly items: readonly TicketViewRecord[];
  readonly nextCursor: string | null;
}

/**
 * The views a user may use: the system views of its tenant and its own, never deleted ones. Other users' personal
 * views and other tenants' views are simply not found.
 */
export abstract class TicketViewRepository {
  abstract findUsable(tenantId: string, userId: string, viewId: string): Promise<TicketViewRecord | null>;
  /** System views first, then by name; throws ValidationError (field `cursor`) on a cursor it did not make. */
  abstract listUsable(
    tenantId: string,
    userId: string,
    page: { readonly limit: number; readonly cursor: string | null },
  ): Promise<TicketViewPage>;
}
