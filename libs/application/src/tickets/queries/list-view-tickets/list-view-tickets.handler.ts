import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type FieldError, parseTicketIdList, parseTimeZone, ValidationError } from '@app/domain';
import { ResourceNotFoundError } from '../../../auth/access-errors';
import { Clock } from '../../../ports/clock';
import { type TicketListPage, TicketListReader } from '../../../ports/ticket-list.reader';
import { TicketViewRepository } from '../../../ports/ticket-view.repository';
import { queryOfView } from '../../stored-view';
import { ListViewTicketsQuery } from './list-view-tickets.query';

/** Runs one parser and keeps its field errors, so one 400 names every bad parameter. */
function collect<T>(errors: FieldError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.errors);
    return undefined;
  }
}

@QueryHandler(ListViewTicketsQuery)
export class ListViewTicketsHandler implements IQueryHandler<ListViewTicketsQuery> {
  constructor(
    private readonly views: TicketViewRepository,
    private readonly tickets: TicketListReader,
    private readonly clock: Clock,
  ) {}

  async execute({ actor, viewId, page }: ListViewTicketsQuery): Promise<TicketListPage> {
    const errors: FieldError[] = [];
    const timezone = collect(errors, () => parseTimeZone(page.timezone));
    const ticketIds = collect(errors, () => parseTicketIdList(page.ticketIds));
    if (errors.length > 0 || timezone === undefined) throw new ValidationError(errors);
    const view = await this.views.findUsable(actor.tenantId, actor.userId, viewId);
    if (!view) throw new ResourceNotFoundError('TICKET_VIEW', viewId);
    const query = queryOfView(view);
    return this.tickets.page({
      tenantId: actor.tenantId,
      me: actor.userId,
      // The same selection an export's `ticketIds` makes, so the list and the export agree.
      query: ticketIds ? { ...query, ticketIds } : query,
      timezone,
      now: this.clock.now(),
      limit: page.limit,
      cursor: page.cursor,
    });
  }
}
