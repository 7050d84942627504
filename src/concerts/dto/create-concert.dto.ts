import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  MAX_QUEUE_CAPACITY,
  MAX_QUEUE_WINDOW_SECONDS,
  MAX_SEAT_PRICE,
  MAX_SEATS_PER_CONCERT,
} from '../concert-limits.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class SeatDto {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(20)
  number!: string;

  @IsInt()
  @Min(0)
  @Max(MAX_SEAT_PRICE)
  price!: number;

  /** Defaults to GENERAL. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  section?: string;
}

/** One row of a generated layout: seats `${label}1` … `${label}${seats}`, all in section `label`. */
export class SeatRowDto {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(10)
  label!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_SEATS_PER_CONCERT)
  seats!: number;

  @IsInt()
  @Min(0)
  @Max(MAX_SEAT_PRICE)
  price!: number;
}

export class SeatLayoutDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SEATS_PER_CONCERT)
  @ValidateNested({ each: true })
  @Type(() => SeatRowDto)
  rows!: SeatRowDto[];
}

/** Exactly one of `seats` (an explicit list) or `layout` (rows generated here) describes the seat map. */
export class CreateConcertDto {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  venue!: string;

  // An offset is required: a bare local time would be read in the server's time zone.
  @IsISO8601({ strict: true })
  @Matches(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i, {
    message: 'startsAt must be an ISO 8601 date-time with a time zone, e.g. 2030-07-15T19:00:00+09:00',
  })
  startsAt!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_CAPACITY)
  queueCapacity?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_WINDOW_SECONDS)
  queueWindowSeconds?: number;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SEATS_PER_CONCERT)
  @ValidateNested({ each: true })
  @Type(() => SeatDto)
  seats?: SeatDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => SeatLayoutDto)
  layout?: SeatLayoutDto;
}
