import { ApiProperty } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { LowercaseIds } from './lowercase-ids.js';

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
  // No @ArrayMaxSize: the limit is configuration (MAX_SEATS_PER_RESERVATION), so the service
  // checks it and names the limit that applies. The body limit bounds the array meanwhile.
  @LowercaseIds()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  seatIds!: string[];
}
