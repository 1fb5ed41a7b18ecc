import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** `?limit=&cursor=` of every collection (CONTRACT §5). */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page',
    example: 'eyJsIjoiZXhwb3J0LWpvYnMi...',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  cursor?: string;
}

export function pageOf(query: PageQueryDto): { limit: number; cursor: string | null } {
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, cursor: query.cursor || null };
}
