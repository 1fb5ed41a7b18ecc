import type { Actor } from '@app/domain';
import { Query } from '@nestjs/cqrs';
import type { TicketViewPage } from '../../../ports/ticket-view.repository';

export class ListTicketViewsQuery extends Query<TicketViewPage> {
  constructor(
    readonly actor: Actor,
    readonly page: { readonly limit: number; readonly cursor: string | null },
  ) {
    super();
  }
}
