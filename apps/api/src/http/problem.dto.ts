import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROBLEM_CODES } from './problem';

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
    description: `Stable machine-readable code: ${PROBLEM_CODES.join(', ')}`,
  })
  code!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'One entry per invalid field (400 only)' })
  errors?: FieldErrorDto[];
}
