import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Deeper pages than this are refused: an OFFSET that large is a scan, not a page. */
export const MAX_PAGE = 1_000_000;

/**
 * `?page&limit` for a paginated list, with this list's default and largest page size.
 * A factory rather than a base class: class-validator would apply a parent's @Max as well
 * as the child's, so each list gets its own class with its own limit.
 */
export function PageQuery(options: { defaultLimit: number; maxLimit: number }) {
  class PageQueryDto {
    @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 1 })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(MAX_PAGE)
    page: number = 1;

    @ApiPropertyOptional({
      type: 'integer',
      minimum: 1,
      maximum: options.maxLimit,
      default: options.defaultLimit,
    })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(options.maxLimit)
    limit: number = options.defaultLimit;
  }
  return PageQueryDto;
}

export class PaginationResponse {
  @ApiProperty({ type: 'integer', example: 1 })
  page!: number;

  @ApiProperty({ type: 'integer', example: 20 })
  limit!: number;

  @ApiProperty({ type: 'integer', example: 2 })
  total!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  totalPages!: number;
}

export function toPaginationResponse(page: {
  page: number;
  limit: number;
  total: number;
}): PaginationResponse {
  return {
    page: page.page,
    limit: page.limit,
    total: page.total,
    totalPages: Math.ceil(page.total / page.limit),
  };
}
