import { Controller, Get } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  type Actor,
  CONDITION_OPERATORS,
  type ConditionOperator,
  DEFAULT_TICKET_COLUMNS,
  EXPORT_FORMATS,
  EXPORT_SOURCES,
  type ExportFormat,
  type ExportSource,
  type ExportSourceDefinition,
  exportSourcesFor,
  type TicketFieldType,
} from '@app/domain';
import { CurrentActor } from '../auth/caller.decorator';
import { ProblemDto } from '../http/problem.dto';

const FIELD_TYPES = ['number', 'text', 'date', 'choice', 'tags'];

export class SourceColumnDto {
  @ApiProperty({ example: 'creationTime' })
  key!: string;

  @ApiProperty({ example: 'Created' })
  label!: string;

  @ApiProperty({ enum: FIELD_TYPES, example: 'date' })
  type!: TicketFieldType;
}

export class SourceFilterFieldDto {
  @ApiProperty({ example: 'creationTime' })
  key!: string;

  @ApiProperty({ enum: FIELD_TYPES, example: 'date' })
  type!: TicketFieldType;

  @ApiProperty({ enum: CONDITION_OPERATORS, isArray: true, example: ['before', 'after'] })
  operators!: ConditionOperator[];

  @ApiProperty({ type: [String], required: false, description: 'The only values the field takes' })
  values?: string[];
}

export class ExportSourceDto {
  @ApiProperty({ enum: EXPORT_SOURCES, example: 'tickets' })
  key!: ExportSource;

  @ApiProperty({ example: 'Tickets' })
  label!: string;

  @ApiProperty({ enum: EXPORT_FORMATS, isArray: true, example: [...EXPORT_FORMATS] })
  formats!: ExportFormat[];

  @ApiProperty({ type: [SourceColumnDto] })
  columns!: SourceColumnDto[];

  @ApiProperty({ type: [String], example: [...DEFAULT_TICKET_COLUMNS] })
  defaultColumns!: string[];

  @ApiProperty({ type: [SourceFilterFieldDto], description: 'Fields of `filters` and their operators' })
  filterFields!: SourceFilterFieldDto[];
}

export class ExportSourceListDto {
  @ApiProperty({ type: [ExportSourceDto] })
  items!: ExportSourceDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

function sourceDto(definition: ExportSourceDefinition): ExportSourceDto {
  return {
    key: definition.key as ExportSource,
    label: definition.label,
    formats: [...EXPORT_FORMATS],
    columns: definition.columns.map(({ key, label, type }) => ({ key, label, type })),
    defaultColumns: [...definition.defaultColumns],
    filterFields: definition.filterFields.map(({ key, type, operators, values }) => ({
      key,
      type,
      operators: [...operators],
      ...(values ? { values: [...values] } : {}),
    })),
  };
}

@ApiTags('export-sources')
@ApiBearerAuth()
@ApiExtraModels(ProblemDto)
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired token; unknown or disabled user',
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
})
@Controller('export-sources')
export class ExportSourcesController {
  /**
   * What the caller may export: the sources whose request rule (the domain's registry) admits it, each with its
   * formats, columns, default columns and filter fields. A caller who may export nothing gets an empty list.
   */
  @Get()
  @ApiOperation({ summary: 'What the caller may export: sources, formats, columns and filter fields' })
  @ApiOkResponse({ type: ExportSourceListDto })
  list(@CurrentActor() actor: Actor): ExportSourceListDto {
    return { items: exportSourcesFor(actor).map(sourceDto), nextCursor: null };
  }
}
