import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';
import { LowercaseIds } from '../../reservations/dto/lowercase-ids.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from '../payment-limits.js';

export class PayReservationsDto {
  @LowercaseIds()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RESERVATIONS_PER_PAYMENT)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  reservationIds!: string[];
}
