import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';
import { LowercaseIds } from './lowercase-ids.js';

/** The largest MAX_SEATS_PER_RESERVATION allows; the configured limit is checked by the service. */
const LARGEST_SEAT_SELECTION = 50;

export class HoldSeatsDto {
  @LowercaseIds()
  @IsUUID()
  concertId!: string;

  @LowercaseIds()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LARGEST_SEAT_SELECTION)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  seatIds!: string[];
}
