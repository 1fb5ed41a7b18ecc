import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ExportJobDetails } from '@app/application';
import {
  EXPORT_FORMATS,
  EXPORT_JOB_STAGES,
  EXPORT_JOB_STATUSES,
  EXPORT_SOURCES,
  type ExportFormat,
  type ExportJobStage,
  type ExportJobStatusValue,
  type ExportSource,
} from '@app/domain';

export class ExportProgressDto {
  @ApiProperty({
    minimum: 0,
    maximum: 100,
    example: 42,
    description: 'Never goes down; 100 only when completed',
  })
  percent!: number;

  @ApiProperty({ example: 4200 })
  rowsExported!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 10000,
    description: 'Known once the rows are counted',
  })
  totalRows!: number | null;
}

export class ViewRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Open tickets' })
  name!: string;
}

export class ColumnRefDto {
  @ApiProperty({ example: 'creationTime' })
  key!: string;

  @ApiProperty({ example: 'Created' })
  label!: string;
}

export class UserRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'admin@acme.test' })
  email!: string;
}

export class ExportedFileDto {
  @ApiProperty({ example: 'open-tickets-20260302-100000.csv' })
  name!: string;

  @ApiProperty({ example: 'text/csv; charset=utf-8' })
  contentType!: string;

  @ApiProperty({ example: 1048576 })
  sizeBytes!: number;

  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
  sha256!: string;

  @ApiProperty({ example: 10000 })
  rowCount!: number;
}

export class ExportFailureDto {
  @ApiProperty({ example: 'EXPORT_JOB.SOURCE_UNAVAILABLE' })
  code!: string;

  @ApiProperty({ example: 'The export could not read the tickets.' })
  message!: string;
}

export class ExportJobLinksDto {
  @ApiProperty({ example: '/export-jobs/2b1f7f3e-5b0e-4f61-8a0c-3c1d2e4f5a6b' })
  self!: string;

  @ApiPropertyOptional({
    example: '/export-jobs/2b1f7f3e-5b0e-4f61-8a0c-3c1d2e4f5a6b/download',
    description: 'Only when the job is completed and the caller may download it',
  })
  download?: string;
}

const date = (value: Date | null): string | null => (value === null ? null : value.toISOString());

/** The job resource of CONTRACT §5, exactly. */
export class ExportJobDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: EXPORT_SOURCES, example: 'tickets' })
  source!: ExportSource;

  @ApiProperty({ enum: EXPORT_FORMATS, example: 'csv' })
  format!: ExportFormat;

  @ApiProperty({ enum: EXPORT_JOB_STATUSES, example: 'running' })
  status!: ExportJobStatusValue;

  @ApiProperty({ enum: EXPORT_JOB_STAGES, nullable: true, example: 'exporting' })
  stage!: ExportJobStage | null;

  @ApiProperty({ type: ExportProgressDto })
  progress!: ExportProgressDto;

  @ApiProperty({ type: ViewRefDto, nullable: true })
  view!: ViewRefDto | null;

  @ApiProperty({ type: [ColumnRefDto] })
  columns!: ColumnRefDto[];

  @ApiProperty({ type: UserRefDto })
  requestedBy!: UserRefDto;

  @ApiProperty({ format: 'date-time' })
  requestedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  snapshotAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'completedAt + retention' })
  expiresAt!: string | null;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The job this one retries' })
  retryOf!: string | null;

  @ApiProperty({ type: ExportedFileDto, nullable: true })
  file!: ExportedFileDto | null;

  @ApiProperty({ type: ExportFailureDto, nullable: true })
  error!: ExportFailureDto | null;

  @ApiProperty({ type: ExportJobLinksDto })
  links!: ExportJobLinksDto;

  static from({ job, canDownload }: ExportJobDetails): ExportJobDto {
    const self = `/export-jobs/${job.id}`;
    return {
      id: job.id,
      source: job.source,
      format: job.format,
      status: job.status,
      stage: job.stage,
      progress: { ...job.progress },
      view: job.view && { id: job.view.id, name: job.view.name },
      columns: job.columns.map(({ key, label }) => ({ key, label })),
      requestedBy: { id: job.requestedBy.id, email: job.requestedBy.email },
      requestedAt: job.requestedAt.toISOString(),
      snapshotAt: date(job.snapshotAt),
      startedAt: date(job.startedAt),
      completedAt: date(job.completedAt),
      expiresAt: date(job.expiresAt),
      attempts: job.attempts,
      retryOf: job.retryOf,
      file: job.file && {
        name: job.file.name,
        contentType: job.file.contentType,
        sizeBytes: job.file.sizeBytes,
        sha256: job.file.sha256,
        rowCount: job.file.rowCount,
      },
      error: job.error && { code: job.error.code, message: job.error.message },
      links: canDownload ? { self, download: `${self}/download` } : { self },
    };
  }
}

export class ExportJobListDto {
  @ApiProperty({ type: [ExportJobDto] })
  items!: ExportJobDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}
