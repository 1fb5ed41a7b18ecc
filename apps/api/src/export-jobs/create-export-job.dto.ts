import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CreateExportJobInput } from '@app/application';
import {
  CONDITION_OPERATORS,
  EXPORT_FORMATS,
  EXPORT_SOURCES,
  FILE_NAME_PATTERN,
  NOTIFY_CHANNELS,
  TICKET_COLUMNS,
  TICKET_FIELDS,
  TICKET_QUERY_LIMITS,
} from '@app/domain';
import { IsArray, IsObject, IsOptional, IsString } from 'class-validator';

const FIELD_KEYS = TICKET_FIELDS.map((f) => f.key);

export class ConditionDto {
  @ApiProperty({ enum: FIELD_KEYS, example: 'priority' })
  field!: string;

  @ApiProperty({ enum: CONDITION_OPERATORS, example: 'is_any_of' })
  operator!: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    description: 'Text, choice key, ISO 8601 date or date-time, or a number (ids, within_past_days)',
    example: 'open',
  })
  value?: string | number;

  @ApiPropertyOptional({ type: [String], example: ['high', 'urgent'] })
  values?: string[];
}

export class ConditionGroupDto {
  @ApiPropertyOptional({ type: [ConditionDto], maxItems: TICKET_QUERY_LIMITS.maxConditionsPerGroup })
  and?: ConditionDto[];

  @ApiPropertyOptional({ type: [ConditionDto], maxItems: TICKET_QUERY_LIMITS.maxConditionsPerGroup })
  or?: ConditionDto[];
}

export class SortLevelDto {
  @ApiProperty({ enum: TICKET_FIELDS.filter((f) => f.sortable).map((f) => f.key), example: 'creationTime' })
  field!: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  direction?: 'asc' | 'desc';
}

/**
 * POST /export-jobs. The DTO checks the shape at the edge: it refuses unknown properties and wrong JSON types.
 * What the values mean (known format, view id, columns, conditions, sort, limits, time zone, file name) is checked
 * once, by the command handler with the domain's parsers, which name every bad field at once
 * (`filters.and[2].operator`), so a body with several mistakes gets them all in one answer.
 */
export class CreateExportJobDto implements CreateExportJobInput {
  @ApiPropertyOptional({ enum: EXPORT_SOURCES, default: 'tickets' })
  @IsOptional()
  @IsString()
  source?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'A view of GET /ticket-views; without it, all tickets, default columns, newest first',
    example: '7d3f0a52-3c1e-4f7b-9a51-0f6d2f1c9b11',
  })
  @IsOptional()
  @IsString()
  viewId?: string;

  @ApiPropertyOptional({
    enum: EXPORT_FORMATS,
    default: 'csv',
    description:
      'xlsx: typed cells, dates as date cells in `timezone`, sheets "Tickets", "Tickets (2)", ... of at most ' +
      '1,048,576 rows; at most EXPORT_XLSX_MAX_ROWS rows (422 EXPORT_JOB.TOO_LARGE). ' +
      'pdf: a landscape table (header on every page, "page N of M"), at most EXPORT_PDF_MAX_ROWS rows ' +
      '(422 EXPORT_JOB.TOO_LARGE)',
  })
  @IsOptional()
  @IsString()
  format?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: TICKET_COLUMNS.map((c) => c.key),
    minItems: 1,
    maxItems: TICKET_QUERY_LIMITS.maxColumns,
    description: 'Replaces the view columns; unique known keys',
    example: ['id', 'title', 'status', 'creationTime'],
  })
  @IsOptional()
  @IsArray()
  columns?: unknown[];

  @ApiPropertyOptional({
    type: ConditionGroupDto,
    description: "ANDed with the view's conditions",
    example: { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
  })
  @IsOptional()
  @IsObject()
  filters?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: [SortLevelDto],
    maxItems: TICKET_QUERY_LIMITS.maxSortLevels,
    description: 'Replaces the view sort; ties are always broken by id',
    example: [{ field: 'priority', direction: 'desc' }],
  })
  @IsOptional()
  @IsArray()
  sort?: unknown[];

  @ApiPropertyOptional({ maxLength: TICKET_QUERY_LIMITS.maxSearchLength, example: 'refund' })
  @IsOptional()
  @IsString()
  search?: string;

  @ApiPropertyOptional({
    description: 'IANA time zone of dates in the file and of date-only filters',
    default: 'UTC',
    example: 'Europe/Paris',
  })
  @IsOptional()
  @IsString()
  timezone?: string;

  @ApiPropertyOptional({
    pattern: FILE_NAME_PATTERN.source,
    description: 'Base of the file name: `<fileName>-<yyyyMMdd-HHmmss>.<ext>`; the view slug otherwise',
    example: 'weekly report',
  })
  @IsOptional()
  @IsString()
  fileName?: string;

  @ApiPropertyOptional({
    type: [Number],
    minItems: 1,
    maxItems: TICKET_QUERY_LIMITS.maxTicketIds,
    uniqueItems: true,
    description:
      "Only these tickets (a selection): 1 to 10,000 unique positive integers, ANDed with the view and its filters, in the view's order. Ids that are not in the view or not visible are left out; the job's totalRows says how many were exported",
    example: [1042, 1043, 1077],
  })
  @IsOptional()
  @IsArray()
  ticketIds?: unknown[];

  @ApiPropertyOptional({
    enum: NOTIFY_CHANNELS,
    isArray: true,
    description:
      'Mail the requester when the job ends (completed, failed, or cancelled by someone else), with a link to its ' +
      'status page, never the file. Needs SMTP_URL on the service (400 otherwise).',
    example: ['email'],
  })
  @IsOptional()
  @IsArray()
  notify?: unknown[];
}
