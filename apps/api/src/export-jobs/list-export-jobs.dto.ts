import { ApiPropertyOptional } from '@nestjs/swagger';
import { EXPORT_JOB_STATUSES, type ExportJobStatusValue } from '@app/domain';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn } from 'class-validator';
import { IsOptional } from 'class-validator';
import { PageQueryDto } from '../http/page-query.dto';

/** `status=queued`, `status=queued,running` or `status=queued&status=running`. */
function statusList(value: unknown): unknown {
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v: unknown) =>
    typeof v === 'string' ? v.split(',') : [v],
  );
  return parts.map((p) => (typeof p === 'string' ? p.trim() : p)).filter((p) => p !== '');
}

export class ListExportJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Only jobs in these statuses (comma-separated)',
    enum: EXPORT_JOB_STATUSES,
    example: 'queued,running',
  })
  @IsOptional()
  @Transform(({ value }) => statusList(value))
  @IsArray()
  @ArrayMaxSize(EXPORT_JOB_STATUSES.length * 2)
  @IsIn(EXPORT_JOB_STATUSES, { each: true })
  status?: ExportJobStatusValue[];
}
