import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'filters.and[0].operator', description: 'Path of the offending input field' })
  field!: string;

  @ApiProperty({ example: 'unknown operator "between" for field "title"; use one of eq, neq, contains, ...' })
  message!: string;
}

/** RFC 9457 problem details: the body of every error (`application/problem+json`). */
export class ProblemDto {
  @ApiProperty({ example: 'https://export-service.dev/problems/validation-failed' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'The request is not valid; see errors for each field.' })
  detail!: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    description:
      'Stable machine-readable code: VALIDATION_FAILED, MALFORMED_JSON, AUTH.UNAUTHENTICATED, ACCESS_DENIED, ' +
      'EXPORT_JOB.NOT_FOUND, TICKET_VIEW.NOT_FOUND, EXPORT_JOB.INVALID_TRANSITION, EXPORT_JOB.NOT_RETRYABLE, ' +
      'EXPORT_JOB.NOT_COMPLETED, IDEMPOTENCY_KEY.REUSED, EXPORT_JOB.EXPIRED, EXPORT_JOB.FILE_MISSING, ' +
      'TICKET_VIEW.INVALID, EXPORT_JOB.TOO_MANY_ACTIVE, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ' +
      'SERVICE_UNAVAILABLE, INTERNAL_ERROR',
  })
  code!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'One entry per invalid field (400 only)' })
  errors?: FieldErrorDto[];
}
