import type { TicketQuery } from '@app/domain';

export interface TicketCountRequest {
  readonly tenantId: string;
  /** The acting user: what `@me` means. */
  readonly me: string;
  readonly query: TicketQuery;
  /** Zone in which date-only condition values name a day. */
  readonly timezone: string;
  /** Tickets created after it are not counted (as an export requested now would not hold them). */
  readonly now: Date;
}

/**
 * Counts the tickets of a query when that is cheap, for the checks a request can make before a job exists (a
 * format's row cap). The worker counts again, exactly, in the export's snapshot.
 */
export abstract class TicketCounter {
  /**
   * The tickets `request` matches, counted up to `atMost` (a count that reaches it stops there, so `atMost` means
   * "at least that many"); null when the count did not answer within the adapter's short time limit.
   */
  abstract countAtMost(request: TicketCountRequest, atMost: number): Promise<number | null>;
}
