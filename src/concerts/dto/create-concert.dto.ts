import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  MAX_PRE_QUEUE_OPENS_SECONDS,
  MAX_QUEUE_CAPACITY,
  MAX_QUEUE_CLAIM_SECONDS,
  MAX_QUEUE_WINDOW_SECONDS,
  MAX_SEAT_PRICE,
  MAX_SEATS_PER_CONCERT,
} from '../concert-limits.js';

/** A seat price: whole points from 0 to MAX_SEAT_PRICE. */
const SeatPrice = () =>
  applyDecorators(
    ApiProperty({
      type: 'integer',
      minimum: 0,
      maximum: MAX_SEAT_PRICE,
      description: 'In points',
      example: 50_000,
    }),
    IsInt(),
    Min(0),
    Max(MAX_SEAT_PRICE),
  );

/** An ISO 8601 date-time with an offset: a bare local time would be read in the server's time zone. */
export const IsZonedDateTime = (field: string) =>
  applyDecorators(
    IsISO8601({ strict: true }),
    Matches(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i, {
      message: `${field} must be an ISO 8601 date-time with a time zone, e.g. 2030-07-15T19:00:00+09:00`,
    }),
  );

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class SeatDto {
  @ApiProperty({ maxLength: 20, example: 'A1' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(20)
  number!: string;

  @SeatPrice()
  price!: number;

  /** Defaults to GENERAL. */
  @ApiPropertyOptional({ maxLength: 50, default: 'GENERAL', example: 'A' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  section?: string;
}

/** One row of a generated layout: seats `${label}1` … `${label}${seats}`, all in section `label`. */
export class SeatRowDto {
  @ApiProperty({ maxLength: 10, description: 'Row label, also the section', example: 'A' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(10)
  label!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_SEATS_PER_CONCERT, example: 10 })
  @IsInt()
  @Min(1)
  @Max(MAX_SEATS_PER_CONCERT)
  seats!: number;

  @SeatPrice()
  price!: number;
}

export class SeatLayoutDto {
  @ApiProperty({ type: [SeatRowDto], minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SEATS_PER_CONCERT)
  // ValidateNested alone lets a nested array through (`[[…]]` passes as a list of nothing).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SeatRowDto)
  rows!: SeatRowDto[];
}

/** Exactly one of `seats` (an explicit list) or `layout` (rows generated here) describes the seat map. */
export class CreateConcertDto {
  @ApiProperty({ maxLength: 200, example: 'Summer Rock Fest' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ maxLength: 200, example: 'Olympic Hall' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  venue!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'In the future, with a time zone offset',
    example: '2030-07-15T19:00:00+09:00',
  })
  @IsZonedDateTime('startsAt')
  startsAt!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When sales close by themselves: in the future, not after startsAt, with a time zone offset. ' +
      'Without it, sales close at startsAt.',
    example: '2030-07-15T12:00:00+09:00',
  })
  @IsOptional()
  @IsZonedDateTime('salesCloseAt')
  salesCloseAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When sales open: in the future, before the sales close, with a time zone offset. Until then the ' +
      'concert is UPCOMING and entries from preQueueOpensSeconds before go to a pre-queue, drawn in a ' +
      'random, auditable order at the opening. Without it, sales open at once.',
    example: '2030-07-01T10:00:00+09:00',
  })
  @IsOptional()
  @IsZonedDateTime('salesOpenAt')
  salesOpenAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PRE_QUEUE_OPENS_SECONDS,
    description: 'How long before salesOpenAt the pre-queue takes entries; default PRE_QUEUE_OPENS_SECONDS',
    example: 1800,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRE_QUEUE_OPENS_SECONDS)
  preQueueOpensSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_QUEUE_CAPACITY,
    description: 'Users with an active window at once; default QUEUE_ACTIVE_CAPACITY',
    example: 5,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_CAPACITY)
  queueCapacity?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_QUEUE_WINDOW_SECONDS,
    description: 'Length of an active window; default QUEUE_WINDOW_SECONDS',
    example: 300,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_WINDOW_SECONDS)
  queueWindowSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_QUEUE_CLAIM_SECONDS,
    description:
      'How long an admitted user has to show up (a poll, the seat map, a hold) before the place lapses as NO_SHOW; default QUEUE_CLAIM_SECONDS',
    example: 30,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_CLAIM_SECONDS)
  queueClaimSeconds?: number;

  @ApiPropertyOptional({
    type: [SeatDto],
    minItems: 1,
    maxItems: MAX_SEATS_PER_CONCERT,
    description: 'An explicit seat list; give this or `layout`',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SEATS_PER_CONCERT)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SeatDto)
  seats?: SeatDto[];

  @ApiPropertyOptional({
    type: SeatLayoutDto,
    description: 'Rows to generate; give this or `seats`',
    example: {
      rows: [
        { label: 'A', seats: 10, price: 100_000 },
        { label: 'B', seats: 10, price: 50_000 },
      ],
    },
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SeatLayoutDto)
  layout?: SeatLayoutDto;
}
