import { ApiProperty } from '@nestjs/swagger';
import { PageQuery, PaginationResponse, toPaginationResponse } from '../../common/http/pagination.js';
import { EXAMPLE } from '../../common/openapi/examples.js';
import type { DrawPage } from '../queue.service.js';

/** Pages of up to 10,000 ids: a fan checking a draw of 100,000 fetches ten. */
export class DrawQueryDto extends PageQuery({ defaultLimit: 1000, maxLimit: 10_000 }) {}

/** The pre-queue's draw, as anyone can check it (README: "Checking the draw"). */
export class DrawResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.concertId })
  concertId!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When sales open; the draw runs then',
    example: '2030-07-01T10:00:00.000Z',
  })
  salesOpenAt!: string;

  @ApiProperty({
    description: 'sha256 of the seed, hex: published from the start, before anyone enters',
    example: 'c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2',
  })
  drawCommitment!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The 32-byte seed, hex; null until the draw',
    example: null,
  })
  drawSeed!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the draw ran; null before',
    example: null,
  })
  drawnAt!: string | null;

  @ApiProperty({
    type: 'integer',
    description: 'Entries drawn; before the draw, the entries in the pre-queue now',
    example: 100_000,
  })
  entrants!: number;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    description:
      'This page of the entry ids in drawn order (the first is ticket 1): ascending sha256(seed bytes ‖ entry id bytes). ' +
      'Empty before the draw',
    example: [EXAMPLE.entryId],
  })
  entryIds!: string[];

  @ApiProperty({ type: PaginationResponse })
  pagination!: PaginationResponse;
}

export function toDrawResponse(concertId: string, draw: DrawPage): DrawResponse {
  return {
    concertId,
    salesOpenAt: draw.salesOpenAt!.toISOString(),
    drawCommitment: draw.commitment!,
    drawSeed: draw.seed,
    drawnAt: draw.drawnAt?.toISOString() ?? null,
    entrants: draw.entrants,
    entryIds: draw.entryIds,
    pagination: toPaginationResponse({
      page: draw.page,
      limit: draw.limit,
      total: draw.drawnAt ? draw.entrants : 0,
    }),
  };
}
