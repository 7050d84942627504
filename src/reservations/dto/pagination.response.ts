import { ApiProperty } from '@nestjs/swagger';

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
