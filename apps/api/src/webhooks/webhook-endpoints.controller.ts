import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  type CallContext,
  CreateWebhookEndpointCommand,
  DeleteWebhookEndpointCommand,
  ListWebhookDeliveriesQuery,
  ListWebhookEndpointsQuery,
  RotateWebhookSecretCommand,
} from '@app/application';
import type { Actor } from '@app/domain';
import { Caller, CurrentActor } from '../auth/caller.decorator';
import { pageOf, PageQueryDto } from '../http/page-query.dto';
import { ProblemDto } from '../http/problem.dto';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import {
  CreateWebhookEndpointDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookEndpointDto,
  WebhookEndpointListDto,
  WebhookEndpointWithSecretDto,
} from './webhook-endpoint.dto';

const problem = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } };

/** The tenant's webhook endpoints, for its export admins (admin AND Import / Export Tickets). */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiExtraModels(ProblemDto)
@ApiUnauthorizedResponse({ description: 'Missing, invalid or expired token', content: problem })
@ApiForbiddenResponse({ description: 'Not an admin with Import / Export Tickets', content: problem })
@Controller('webhook-endpoints')
export class WebhookEndpointsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Register an endpoint; the answer carries its signing secret, shown only this once',
  })
  @ApiBody({ type: CreateWebhookEndpointDto })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretDto })
  @ApiResponse({
    status: 400,
    description: 'Not an https URL, a private destination, an unknown event...; errors[] names each field',
    content: problem,
  })
  async create(
    @Caller() caller: CallContext,
    @Body() body: CreateWebhookEndpointDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    return WebhookEndpointWithSecretDto.withSecret(
      await this.commands.execute(new CreateWebhookEndpointCommand(caller, { ...body })),
    );
  }

  @Get()
  @ApiOperation({ summary: "The tenant's endpoints, newest first (never their secrets)" })
  @ApiOkResponse({ type: WebhookEndpointListDto })
  @ApiResponse({ status: 400, description: 'Bad limit or cursor', content: problem })
  async list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<WebhookEndpointListDto> {
    const found = await this.queries.execute(new ListWebhookEndpointsQuery(actor, pageOf(query)));
    return { items: found.items.map((e) => WebhookEndpointDto.from(e)), nextCursor: found.nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint; its pending deliveries are dropped' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such endpoint in the tenant', content: problem })
  async remove(@Caller() caller: CallContext, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.commands.execute(new DeleteWebhookEndpointCommand(caller, id));
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new signing secret; the previous one keeps signing (a second signature) for 24 h',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookEndpointWithSecretDto })
  @ApiNotFoundResponse({ description: 'No such endpoint in the tenant', content: problem })
  async rotate(
    @Caller() caller: CallContext,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<WebhookEndpointWithSecretDto> {
    return WebhookEndpointWithSecretDto.withSecret(
      await this.commands.execute(new RotateWebhookSecretCommand(caller, id)),
    );
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "An endpoint's deliveries, newest first: status, attempts, last response, timing",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiNotFoundResponse({ description: 'No such endpoint in the tenant', content: problem })
  async deliveries(
    @CurrentActor() actor: Actor,
    @Param('id', UuidParamPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    const found = await this.queries.execute(new ListWebhookDeliveriesQuery(actor, id, pageOf(query)));
    return { items: found.items.map((d) => WebhookDeliveryDto.from(d)), nextCursor: found.nextCursor };
  }
}
