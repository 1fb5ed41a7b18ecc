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
import { ProblemDto } from '../http/problem.dto';
import {
  DEFAULT_TICKET_COLUMNS,
  EXPORT_FORMATS,
  EXPORT_SOURCES,
  type ExportFormat,
  type ExportSource,
  TICKET_COLUMNS,
  type TicketFieldType,
} from '@app/domain';

export class SourceColumnDto {
  @ApiProperty({ example: 'creationTime' })
  key!: string;

  @ApiProperty({ example: 'Created' })
  label!: string;

  @ApiProperty({ enum: ['number', 'text', 'date', 'choice', 'tags'], example: 'date' })
  type!: TicketFieldType;
}

export class ExportSourceDto {
  @ApiProperty({ enum: EXPORT_SOURCES, example: 'tickets' })
  key!: ExportSource;

  @ApiProperty({ enum: EXPORT_FORMATS, isArray: true, example: [...EXPORT_FORMATS] })
  formats!: ExportFormat[];

  @ApiProperty({ type: [SourceColumnDto] })
  columns!: SourceColumnDto[];

  @ApiProperty({ type: [String], example: [...DEFAULT_TICKET_COLUMNS] })
  defaultColumns!: string[];
}

export class ExportSourceListDto {
  @ApiProperty({ type: [ExportSourceDto] })
  items!: ExportSourceDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

const SOURCES: ExportSourceListDto = {
  items: [
    {
      key: 'tickets',
      formats: [...EXPORT_FORMATS],
      columns: TICKET_COLUMNS.map(({ key, label, type }) => ({ key, label, type })),
      defaultColumns: [...DEFAULT_TICKET_COLUMNS],
    },
  ],
  nextCursor: null,
};

@ApiTags('export-sources')
@ApiBearerAuth()
@ApiExtraModels(ProblemDto)
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired token; unknown or disabled user',
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
})
@Controller('export-sources')
export class ExportSourcesController {
  /** What can be exported, in which formats and columns: fixed by the domain, the same for every user. */
  @Get()
  @ApiOperation({ summary: 'What can be exported: sources, formats, columns and default columns' })
  @ApiOkResponse({ type: ExportSourceListDto })
  list(): ExportSourceListDto {
    return SOURCES;
  }
}
