import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { parseTimeZone } from '@app/domain';
import { ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { type TicketListPage, TicketListReader } from '../../../ports/ticket-list.reader';
import { TicketViewRepository } from '../../../ports/ticket-view.repository';
import { queryOfView } from '../../stored-view';
import { ListViewTicketsQuery } from './list-view-tickets.query';

@QueryHandler(ListViewTicketsQuery)
export class ListViewTicketsHandler implements IQueryHandler<ListViewTicketsQuery> {
  constructor(
    private readonly views: TicketViewRepository,
    private readonly tickets: TicketListReader,
    private readonly clock: Clock,
  ) {}

  async execute({ actor, viewId, page }: ListViewTicketsQuery): Promise<TicketListPage> {
    const view = await this.views.findUsable(actor.tenantId, actor.userId, viewId);
    if (!view) throw new ResourceNotFoundError('TICKET_VIEW', viewId);
    return this.tickets.page({
      tenantId: actor.tenantId,
      me: actor.userId,
      query: queryOfView(view),
      timezone: parseTimeZone(page.timezone),
      now: this.clock.now(),
      limit: page.limit,
      cursor: page.cursor,
    });
  }
}
