import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { LowercaseIds } from '../../reservations/dto/lowercase-ids.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from '../payment-limits.js';

export class PayReservationsDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: MAX_RESERVATIONS_PER_PAYMENT,
    uniqueItems: true,
    description: "The caller's PENDING reservations",
    example: [EXAMPLE.reservationId, EXAMPLE.otherReservationId],
  })
  @LowercaseIds()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RESERVATIONS_PER_PAYMENT)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  reservationIds!: string[];
}
