import { ApiProperty } from '@nestjs/swagger';
import type { ExportEstimate } from '@app/application';
import { SIZE_ESTIMATED_FORMATS, type SizeEstimatedFormat } from '@app/domain';

/** The answer of POST /export-jobs/estimate. */
export class ExportEstimateDto {
  @ApiProperty({ example: 980000, description: 'Rows the export would hold if requested now' })
  rows!: number;

  @ApiProperty({
    example: true,
    description:
      "False when counting would take too long and `rows` is the database planner's estimate (on a large table)",
  })
  rowsExact!: boolean;

  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(
      SIZE_ESTIMATED_FORMATS.map((f) => [f, { type: 'integer', example: 163_000_000 }]),
    ),
    required: [...SIZE_ESTIMATED_FORMATS],
    additionalProperties: { type: 'integer' },
    description:
      'Estimated file size in bytes for every format but pdf (not only the requested one; the size of a PDF follows its page layout): a sample of the rows written by the export itself, scaled to `rows`; exact when every row fits the sample (200 rows)',
  })
  bytes!: Record<SizeEstimatedFormat, number>;

  @ApiProperty({
    example: 9,
    minimum: 1,
    description:
      "Seconds the export would run once started, at the service's recent throughput for the format (the last 50 completed exports; 50,000 rows/s without history)",
  })
  seconds!: number;

  static from(estimate: ExportEstimate): ExportEstimateDto {
    return {
      rows: estimate.rows,
      rowsExact: estimate.rowsExact,
      bytes: { ...estimate.bytes },
      seconds: estimate.seconds,
    };
  }
}
