import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type TicketViewPage, TicketViewRepository } from '../../../ports/ticket-view.repository';
import { ListTicketViewsQuery } from './list-ticket-views.query';

/** The views the caller may use: its tenant's system views and its own (CONTRACT §4). */
@QueryHandler(ListTicketViewsQuery)
export class ListTicketViewsHandler implements IQueryHandler<ListTicketViewsQuery> {
  constructor(private readonly views: TicketViewRepository) {}

  execute({ actor, page }: ListTicketViewsQuery): Promise<TicketViewPage> {
    return this.views.listUsable(actor.tenantId, actor.userId, page);
  }
}
