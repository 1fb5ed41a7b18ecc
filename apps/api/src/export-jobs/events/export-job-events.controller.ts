import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { GetExportJobByIdQuery } from '@app/application';
import type { Actor } from '@app/domain';
import { CurrentActor } from '../../auth/caller.decorator';
import type { ApiResponse as HttpResponse } from '../../http/api-request';
import { ProblemDto } from '../../http/problem.dto';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { LogsJobId } from '../../logging/job-id-log';
import { EventStreamSettings } from './event-stream-settings';
import { JobEventHub } from './job-event-hub';
import { JobEventStream } from './job-event-stream';

const problem = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } };
/** An SSE event id is one line; an ETag value is 27 base64url characters. Anything else resumes nothing. */
const LAST_EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

const STREAM_DESCRIPTION = [
  'A text/event-stream of the job. At once the current state (unless Last-Event-ID names it), then one event per',
  'change of the job as GET /export-jobs/:id shows it:',
  '`event: job` / `id: <the ETag of that representation, unquoted>` / `data: <the same JSON body, one line>`.',
  'A `: heartbeat` comment every 15 s. The server ends the stream after a completed, failed, cancelled or',
  'expired state. Send the token in the Authorization header (read the stream with fetch; never put a token in',
  'a URL).',
].join(' ');

@ApiTags('export-jobs')
@ApiBearerAuth()
@ApiExtraModels(ProblemDto)
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired token; unknown or disabled user',
  content: problem,
})
@LogsJobId()
@Controller('export-jobs')
export class ExportJobEventsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly hub: JobEventHub,
    private readonly settings: EventStreamSettings,
  ) {}

  @Get(':id/events')
  @ApiOperation({ summary: "Live progress: server-sent events of the job's state until it finishes" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: that state is not sent again',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: STREAM_DESCRIPTION,
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          example: 'event: job\nid: q0Jv3W4c1bU2l8mXH1yO4kQf5aZ\ndata: {"id":"…","status":"running",…}\n\n',
        },
      },
    },
  })
  @ApiResponse({ status: 400, description: 'The id is not a UUID', content: problem })
  @ApiNotFoundResponse({ description: 'No such job, or not visible to the caller', content: problem })
  @ApiTooManyRequestsResponse({
    description: 'Too many open streams for this user (or this server); see Retry-After',
    content: problem,
  })
  async events(
    @CurrentActor() actor: Actor,
    @Param('id', UuidParamPipe) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: HttpResponse,
  ): Promise<void> {
    const slot = this.hub.reserve(actor);
    let stream: JobEventStream;
    try {
      const details = await this.queries.execute(new GetExportJobByIdQuery(actor, id));
      stream = new JobEventStream(actor, response, {
        lastEventId:
          lastEventId !== undefined && LAST_EVENT_ID.test(lastEventId.trim()) ? lastEventId.trim() : null,
        heartbeatMs: this.settings.heartbeatMs,
      });
      stream.onClose(() => slot.release());
      stream.deliver(details);
    } catch (error) {
      slot.release();
      throw error;
    }
    // Watched after the first state went out: the hub's first read (right now) brings any change made since.
    this.hub.watch(id, stream);
  }
}
