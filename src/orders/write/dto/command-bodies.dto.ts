// Request bodies. The DTOs check shape and types (unknown fields refused); the rules that depend on the order or
// on the caller's party (which reasons a buyer may give, a due date later than the current one) are the
// decider's, which answers VALIDATION_FAILED with the field just the same.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { CURRENCY_CODES } from '../../domain/currencies';
import {
  ALL_CANCELLATION_REASONS,
  PARTIAL_REFUND_REASONS,
  REQUEST_TYPES,
  type RequestType,
} from '../../domain/order.types';
import { UUID_RE } from '../../../http/validation';
import { USER_ID_PATTERN, USER_ID_RE } from '../../../auth/user-id';

/**
 * Not whitespace only: such a text is as malformed as an empty one (the decider refuses both), so it is a 400 before
 * the caller's 403 and the order's 404/409 (api.md's order of checks). '' is left to @IsNotEmpty, other types to
 * @IsString: one error each.
 */
export const NotBlank = (): PropertyDecorator =>
  ValidateBy({
    name: 'notBlank',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || value === '' || value.trim() !== '',
      defaultMessage: (args) => `${args?.property} is required`,
    },
  });

const USER_ID_MESSAGE = (field: string) => `${field} must be 1..128 of A-Z a-z 0-9 . _ : @ -`;

export const MAX_TEXT = 10_000;
export const MAX_TITLE = 200;
export const MAX_MINOR_UNITS = Number.MAX_SAFE_INTEGER;
/** A request's reason: a cancellation reason, or a partial refund's (confidential) reason. */
export const REQUEST_REASONS: readonly string[] = [
  ...new Set<string>([...ALL_CANCELLATION_REASONS, ...PARTIAL_REFUND_REASONS]),
];
/** An extras offer is a line on the order page, not a document (at most 10 pending: order.rules.ts). */
export const MAX_EXTRAS_DESCRIPTION = 2_000;

export class MoneyDto {
  @ApiProperty({ type: 'integer', description: 'Minor units (cents)', example: 5000, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  amount!: number;

  @ApiProperty({ description: 'ISO 4217 currency code', example: 'USD', enum: CURRENCY_CODES })
  @IsString()
  @IsIn(CURRENCY_CODES, { message: 'currency must be an ISO 4217 currency code' })
  currency!: string;
}

export class PlaceOrderDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Chosen by the client; generated when absent' })
  @IsOptional()
  @IsString()
  @Matches(UUID_RE, { message: 'orderId must be a uuid' })
  orderId?: string;

  @ApiProperty({ example: 'buyer-7', pattern: USER_ID_PATTERN, description: 'The buyer who paid' })
  @IsString()
  @Matches(USER_ID_RE, { message: USER_ID_MESSAGE('buyerId') })
  @NotEquals('system', { message: 'buyerId system is reserved' })
  buyerId!: string;

  @ApiProperty({ example: 'seller-42', pattern: USER_ID_PATTERN })
  @IsString()
  @Matches(USER_ID_RE, { message: USER_ID_MESSAGE('sellerId') })
  @NotEquals('system', { message: 'sellerId system is reserved' })
  sellerId!: string;

  @ApiProperty({ example: 'Logo design', maxLength: MAX_TITLE })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_TITLE)
  title!: string;

  @ApiProperty({ type: MoneyDto })
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  price!: MoneyDto;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 365, example: 7 })
  @IsInt()
  @Min(1)
  @Max(365)
  deliveryDays!: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  requirementsNeeded?: boolean;
}

export class SubmitRequirementsDto {
  @ApiProperty({ maxLength: MAX_TEXT, example: 'A fox, orange, minimal.' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_TEXT)
  text!: string;
}

/** Commands without input: `{}` (or no body); any field is refused (@EmptyBody). For the OpenAPI document. */
export class EmptyBodyDto {}

export class MessageDto {
  @ApiProperty({ maxLength: MAX_TEXT, example: 'Here are the files' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_TEXT)
  message!: string;
}

export class OpenRequestDto {
  @ApiProperty({ enum: REQUEST_TYPES })
  @IsIn(REQUEST_TYPES)
  type!: RequestType;

  @ApiPropertyOptional({
    enum: REQUEST_REASONS,
    description:
      "cancellation (one of the opener's reasons) and partial_refund (scope_changed, delay_compensation, " +
      'partial_dissatisfaction, other: confidential, never shown to the buyer); required there (see domain.md)',
  })
  @IsOptional()
  @IsIn(REQUEST_REASONS)
  reason?: string;

  @ApiProperty({ maxLength: MAX_TEXT, description: 'Travels to the counterpart verbatim' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_TEXT)
  comment!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'delivery_extension only (required there): later than the current dueAt',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  proposedDueAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description:
      "partial_refund only (required there): minor units of the order's currency; at least 500, at most 60 % of " +
      'the primary price (all agreed partial refunds together)',
    minimum: 1,
    example: 1500,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  amount?: number;
}

export class AnswerRequestDto {
  @ApiPropertyOptional({
    maxLength: MAX_TEXT,
    description: 'Required when accepting an order_update request: it is the update',
    example: 'Fine by me',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  comment?: string;
}

export class CancelOrderDto {
  @ApiProperty({
    enum: ALL_CANCELLATION_REASONS,
    description: "buyer's or support's reasons (domain.md)",
    example: 'late_delivery',
  })
  @IsIn(ALL_CANCELLATION_REASONS)
  reason!: string;

  @ApiPropertyOptional({ maxLength: MAX_TEXT })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  comment?: string;

  @ApiPropertyOptional({ description: 'support only: whether it counts toward the completion rate' })
  @IsOptional()
  @IsBoolean()
  countsTowardCompletionRate?: boolean;
}

export class OfferExtrasDto {
  @ApiProperty({ maxLength: MAX_EXTRAS_DESCRIPTION, example: 'Source files in SVG' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_EXTRAS_DESCRIPTION)
  description!: string;

  @ApiProperty({
    type: 'integer',
    description: "Minor units, in the order's currency",
    minimum: 1,
    example: 1500,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  amount!: number;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 365, example: 2 })
  @IsInt()
  @Min(0)
  @Max(365)
  extraDays!: number;
}
