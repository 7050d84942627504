import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { LowercaseIds } from './lowercase-ids.js';

/** The largest MAX_SEATS_PER_RESERVATION allows; the configured limit is checked by the service. */
const LARGEST_SEAT_SELECTION = 50;

export class HoldSeatsDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.concertId })
  @LowercaseIds()
  @IsUUID()
  concertId!: string;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    uniqueItems: true,
    description:
      'Seats of that concert; at most MAX_SEATS_PER_RESERVATION (4) live holds per user and concert',
    example: [EXAMPLE.seatId, EXAMPLE.otherSeatId],
  })
  @LowercaseIds()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LARGEST_SEAT_SELECTION)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  seatIds!: string[];
}
