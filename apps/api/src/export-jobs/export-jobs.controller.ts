import {
  Body,
  Controller,
  Get,
  Head,
  Headers,
  HttpCode,
  Logger,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiGoneResponse,
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
import {
  type CallContext,
  CancelExportJobCommand,
  CreateExportJobCommand,
  EstimateExportQuery,
  type ExportDownload,
  GetExportJobByIdQuery,
  ListExportJobsQuery,
  OpenExportDownloadCommand,
  RetryExportJobCommand,
} from '@app/application';
import { type Actor, FORMAT_FILE_TYPES, ValidationError } from '@app/domain';
import { attachmentDisposition } from '@app/infrastructure';
import { Caller, CurrentActor } from '../auth/caller.decorator';
import type { ApiResponse as HttpResponse } from '../http/api-request';
import { pageOf } from '../http/page-query.dto';
import { ProblemDto } from '../http/problem.dto';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { LogsJobId } from '../logging/job-id-log';
import { CreateExportJobDto } from './create-export-job.dto';
import { ExportEstimateDto } from './export-estimate.dto';
import { ExportJobDto, ExportJobListDto } from './export-job.dto';
import { matchesEtag } from './job-etag';
import { jobRepresentation } from './job-representation';
import { ListExportJobsQueryDto } from './list-export-jobs.dto';

/** What a download may be: one media type a format (CONTRACT §5, §9). */
const DOWNLOAD_CONTENT_TYPES = [
  ...new Set(Object.values(FORMAT_FILE_TYPES).map((type) => type.contentType.split(';')[0])),
];

const problem = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } };
const MAX_IDEMPOTENCY_KEY = 255;
/** Polling hints (Retry-After, seconds) while a job is active. */
const POLL_AFTER_SECONDS = { queued: 1, running: 1 } as const;

function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (header.length < 1 || header.length > MAX_IDEMPOTENCY_KEY)
    throw new ValidationError([
      { field: 'Idempotency-Key', message: `must be 1 to ${MAX_IDEMPOTENCY_KEY} characters` },
    ]);
  return header;
}

function setDownloadHeaders(response: HttpResponse, file: ExportDownload): void {
  response.setHeader('Content-Type', file.contentType);
  response.setHeader('Content-Length', String(file.sizeBytes));
  response.setHeader('Content-Disposition', attachmentDisposition(file.fileName));
  response.setHeader('ETag', `"${file.sha256}"`);
  response.setHeader('Cache-Control', 'private, no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
}

@ApiTags('export-jobs')
@ApiBearerAuth()
@ApiExtraModels(ProblemDto)
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired token; unknown or disabled user',
  content: problem,
})
@LogsJobId()
@Controller('export-jobs')
export class ExportJobsController {
  private readonly logger = new Logger(ExportJobsController.name);

  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Request an export of a ticket view (or of all tickets)' })
  @ApiBody({ type: CreateExportJobDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and body within 24 h: the same job (200); same key, other body: 409',
  })
  @ApiAcceptedResponse({ type: ExportJobDto, description: 'Queued; Location names the job' })
  @ApiOkResponse({ type: ExportJobDto, description: 'Replayed: the job of an earlier request with this key' })
  @ApiResponse({ status: 400, description: 'Invalid body; errors[] names each field', content: problem })
  @ApiForbiddenResponse({ description: 'No Import / Export Tickets permission', content: problem })
  @ApiNotFoundResponse({ description: 'View not visible', content: problem })
  @ApiConflictResponse({ description: 'Idempotency-Key reused with another body', content: problem })
  @ApiResponse({ status: 413, description: 'Body over 1 MB', content: problem })
  @ApiResponse({ status: 415, description: 'Body not application/json', content: problem })
  @ApiResponse({
    status: 422,
    description:
      "EXPORT_JOB.TOO_LARGE: more rows than the format's cap (EXPORT_XLSX_MAX_ROWS, EXPORT_PDF_MAX_ROWS), counted " +
      'when that is cheap; otherwise the job fails at `counting` with this code. The message points to CSV. ' +
      'TICKET_VIEW.INVALID: the stored view no longer validates',
    content: problem,
  })
  @ApiTooManyRequestsResponse({ description: 'Too many active jobs; see Retry-After', content: problem })
  async create(
    @Caller() caller: CallContext,
    @Body() body: CreateExportJobDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<ExportJobDto> {
    const { details, created } = await this.commands.execute(
      new CreateExportJobCommand(caller, { ...body }, idempotencyKeyOf(idempotencyKey)),
    );
    const job = ExportJobDto.from(details);
    response.status(created ? 202 : 200);
    response.setHeader('Location', job.links.self);
    return job;
  }

  @Post('estimate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'How big an export would be (rows, bytes per format, seconds), without creating anything',
    description:
      'Takes the body of POST /export-jobs, with the same validation and permission; creates no job and writes no audit row.',
  })
  @ApiBody({ type: CreateExportJobDto })
  @ApiOkResponse({ type: ExportEstimateDto })
  @ApiResponse({ status: 400, description: 'Invalid body; errors[] names each field', content: problem })
  @ApiForbiddenResponse({ description: 'No Import / Export Tickets permission', content: problem })
  @ApiNotFoundResponse({ description: 'View not visible', content: problem })
  @ApiResponse({ status: 413, description: 'Body over 1 MB', content: problem })
  @ApiResponse({ status: 415, description: 'Body not application/json', content: problem })
  async estimate(
    @Caller() caller: CallContext,
    @Body() body: CreateExportJobDto,
  ): Promise<ExportEstimateDto> {
    return ExportEstimateDto.from(await this.queries.execute(new EstimateExportQuery(caller, { ...body })));
  }

  @Get()
  @ApiOperation({ summary: "Newest first: the caller's jobs, or all of the tenant's for an export admin" })
  @ApiOkResponse({ type: ExportJobListDto })
  @ApiResponse({ status: 400, description: 'Bad status, limit or cursor', content: problem })
  async list(
    @CurrentActor() actor: Actor,
    @Query() query: ListExportJobsQueryDto,
  ): Promise<ExportJobListDto> {
    const found = await this.queries.execute(
      new ListExportJobsQuery(actor, { statuses: query.status ?? [], ...pageOf(query) }),
    );
    return { items: found.items.map((details) => ExportJobDto.from(details)), nextCursor: found.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Poll a job: Retry-After while queued or running; ETag and If-None-Match -> 304' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ExportJobDto })
  @ApiResponse({ status: 304, description: 'Unchanged since the ETag sent in If-None-Match' })
  @ApiNotFoundResponse({ description: 'No such job, or not visible to the caller', content: problem })
  async get(
    @CurrentActor() actor: Actor,
    @Param('id', UuidParamPipe) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<ExportJobDto | undefined> {
    const { body: job, etag } = jobRepresentation(
      await this.queries.execute(new GetExportJobByIdQuery(actor, id)),
    );
    response.setHeader('ETag', etag);
    response.setHeader('Cache-Control', 'private, no-cache');
    if (job.status === 'queued' || job.status === 'running')
      response.setHeader('Retry-After', String(POLL_AFTER_SECONDS[job.status]));
    if (matchesEtag(ifNoneMatch, etag)) {
      response.status(304);
      return undefined;
    }
    return job;
  }

  /**
   * Declared before the GET route, which Express would otherwise also run for HEAD (and audit a download): the
   * same checks and headers, no body, no export.downloaded row.
   */
  @Head(':id/download')
  @ApiOperation({ summary: "The headers of a completed export's download, without the file (not audited)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  async downloadHeaders(
    @Caller() caller: CallContext,
    @Param('id', UuidParamPipe) id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    const file = await this.commands.execute(new OpenExportDownloadCommand(caller, id, 'HEAD'));
    setDownloadHeaders(response, file);
    response.statusCode = 200;
    response.end();
  }

  @Get(':id/download')
  @ApiOperation({ summary: "Download a completed export's file (export admins of the tenant)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiProduces(...DOWNLOAD_CONTENT_TYPES)
  @ApiOkResponse({ description: 'The file, streamed', schema: { type: 'string', format: 'binary' } })
  @ApiForbiddenResponse({ description: 'Visible job, but the caller may not download it', content: problem })
  @ApiNotFoundResponse({ description: 'No such job, or not visible to the caller', content: problem })
  @ApiConflictResponse({ description: 'Not completed yet', content: problem })
  @ApiGoneResponse({ description: 'Expired', content: problem })
  async download(
    @Caller() caller: CallContext,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<StreamableFile> {
    const file = await this.commands.execute(new OpenExportDownloadCommand(caller, id));
    setDownloadHeaders(response, file);
    // A client gone (or cut by the server's idle timeout) mid-file: pipe() would leave the storage stream paused,
    // holding its S3 socket; close it. After a whole response this is a no-op.
    response.once('close', () => file.stream.destroy());
    // Storage failing mid-stream: the status line and Content-Length are already promised, so break the
    // connection; the client sees an incomplete download, never a short file that looks whole.
    return new StreamableFile(file.stream).setErrorHandler((error, res) => {
      this.logger.error(`download of export job ${id} broke off: ${error.message}`);
      if (res.destroy) res.destroy();
      else res.end();
    });
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued or running job' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ExportJobDto, description: 'The job, now cancelled' })
  @ApiForbiddenResponse({ description: 'Visible job, but the caller may not cancel it', content: problem })
  @ApiNotFoundResponse({ description: 'No such job, or not visible to the caller', content: problem })
  @ApiConflictResponse({ description: 'Already finished', content: problem })
  async cancel(@Caller() caller: CallContext, @Param('id', UuidParamPipe) id: string): Promise<ExportJobDto> {
    return ExportJobDto.from(await this.commands.execute(new CancelExportJobCommand(caller, id)));
  }

  @Post(':id/retry')
  @ApiOperation({ summary: 'Run a failed or cancelled export again, as a new job with retryOf' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiAcceptedResponse({ type: ExportJobDto, description: 'The new job; Location names it' })
  @ApiOkResponse({
    type: ExportJobDto,
    description: 'Retried already (a concurrent or earlier retry): the job that retry made',
  })
  @ApiForbiddenResponse({ description: 'Visible job, but the caller may not retry it', content: problem })
  @ApiNotFoundResponse({ description: 'No such job, or not visible to the caller', content: problem })
  @ApiConflictResponse({
    description: 'Neither failed nor cancelled, or retried already as a job the caller may not see',
    content: problem,
  })
  @ApiTooManyRequestsResponse({ description: 'Too many active jobs; see Retry-After', content: problem })
  async retry(
    @Caller() caller: CallContext,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<ExportJobDto> {
    const { details, created } = await this.commands.execute(new RetryExportJobCommand(caller, id));
    const job = ExportJobDto.from(details);
    response.status(created ? 202 : 200);
    response.setHeader('Location', job.links.self);
    return job;
  }
}
