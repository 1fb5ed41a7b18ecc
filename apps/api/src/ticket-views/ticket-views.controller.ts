import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ListTicketViewsQuery, ListViewTicketsQuery, type TicketViewRecord } from '@app/application';
import type { Actor } from '@app/domain';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentActor } from '../auth/caller.decorator';
import { PageQueryDto, pageOf } from '../http/page-query.dto';
import { ProblemDto } from '../http/problem.dto';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { ConditionGroupDto, SortLevelDto } from '../export-jobs/create-export-job.dto';

export class TicketViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Open tickets' })
  name!: string;

  @ApiProperty({ description: 'A view of the tenant (true) or one of the caller (false)' })
  isSystem!: boolean;

  @ApiProperty({ type: [String], example: ['id', 'title', 'status'] })
  columns!: unknown;

  @ApiProperty({ type: ConditionGroupDto })
  conditions!: unknown;

  @ApiProperty({ type: [SortLevelDto] })
  sort!: unknown;

  static from(view: TicketViewRecord): TicketViewDto {
    return {
      id: view.id,
      name: view.name,
      isSystem: view.isSystem,
      columns: view.columns,
      conditions: view.conditions ?? { and: [], or: [] },
      sort: view.sort ?? [],
    };
  }
}

export class TicketViewListDto {
  @ApiProperty({ type: [TicketViewDto] })
  items!: TicketViewDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class TicketListDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Objects keyed by column key; `id` (number) always present, dates ISO 8601, tags arrays',
    example: [
      { id: 1042, title: 'Printer on fire', status: 'Open', creationTime: '2026-03-02T09:00:00.000Z' },
    ],
  })
  items!: Record<string, unknown>[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class ViewTicketsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'IANA zone in which date-only conditions name a day (as for an export)',
    default: 'UTC',
    example: 'Europe/Paris',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional({
    description:
      "Only these tickets, in the view's order: 1 to 10,000 unique positive integers, comma-separated (as `ticketIds` of an export)",
    example: '1042,1043,1077',
  })
  @IsOptional()
  @IsString()
  ticketIds?: string;
}

const problem = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } };

@ApiTags('ticket-views')
@ApiBearerAuth()
@ApiExtraModels(ProblemDto)
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired token; unknown or disabled user',
  content: problem,
})
@Controller('ticket-views')
export class TicketViewsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'The views the caller may use: system views of its tenant and its own' })
  @ApiOkResponse({ type: TicketViewListDto })
  async list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<TicketViewListDto> {
    const page = await this.queries.execute(new ListTicketViewsQuery(actor, pageOf(query)));
    return { items: page.items.map((view) => TicketViewDto.from(view)), nextCursor: page.nextCursor };
  }

  @Get(':id/tickets')
  @ApiOperation({
    summary: "The view's tickets as the user sees them: same columns, conditions and order as its export",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TicketListDto })
  @ApiResponse({ status: 400, description: 'Bad limit, cursor, timezone or ticketIds', content: problem })
  @ApiNotFoundResponse({ description: 'No such view, or not usable by the caller', content: problem })
  @ApiResponse({ status: 422, description: 'The stored view no longer validates', content: problem })
  async tickets(
    @CurrentActor() actor: Actor,
    @Param('id', UuidParamPipe) id: string,
    @Query() query: ViewTicketsQueryDto,
  ): Promise<TicketListDto> {
    const page = await this.queries.execute(
      new ListViewTicketsQuery(actor, id, {
        ...pageOf(query),
        timezone: query.timezone ?? null,
        ticketIds: query.ticketIds ?? null,
      }),
    );
    return { items: [...page.items], nextCursor: page.nextCursor };
  }
}
