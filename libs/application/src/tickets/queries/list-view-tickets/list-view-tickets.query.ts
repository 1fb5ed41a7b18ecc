import type { Actor } from '@app/domain';
import { Query } from '@nestjs/cqrs';
import type { TicketListPage } from '../../../ports/ticket-list.reader';

/** One page of the list a view shows: its columns, conditions and order. */
export class ListViewTicketsQuery extends Query<TicketListPage> {
  constructor(
    readonly actor: Actor,
    readonly viewId: string,
    readonly page: {
      readonly limit: number;
      readonly cursor: string | null;
      /** IANA zone in which date-only conditions name a day; UTC when absent. */
      readonly timezone?: string | null;
      /** A selection as the query string carries it (`1,2,3`): only these tickets, in the view's order. */
      readonly ticketIds?: string | null;
    },
  ) {
    super();
  }
}
