// The body of POST /orders/:orderId/requests as OpenAPI documents it: one closed schema per request type, told apart
// by `type` (the decider refuses a field that the type does not take, and requires the ones it needs). The
// validation is OpenRequestDto's and the decider's; these classes only describe it.
import { ApiProperty, getSchemaPath, PickType } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import type { Type } from '@nestjs/common';
import {
  BUYER_CANCELLATION_REASONS,
  PARTIAL_REFUND_REASONS,
  SELLER_CANCELLATION_REASONS,
  type RequestType,
} from '../../domain/order.types';
import { OpenRequestDto } from './command-bodies.dto';

/** A party's reasons (support's own reasons are for its direct cancellation, not for requests). */
const PARTY_REASONS = [...new Set<string>([...BUYER_CANCELLATION_REASONS, ...SELLER_CANCELLATION_REASONS])];

export class OpenCancellationRequestDto extends PickType(OpenRequestDto, ['comment'] as const) {
  @ApiProperty({ enum: ['cancellation'] })
  type!: 'cancellation';

  @ApiProperty({ enum: PARTY_REASONS, description: "One of the opener's reasons (see domain.md)" })
  reason!: string;
}

export class OpenDeliveryExtensionRequestDto extends PickType(OpenRequestDto, ['comment'] as const) {
  @ApiProperty({ enum: ['delivery_extension'], description: 'seller only' })
  type!: 'delivery_extension';

  @ApiProperty({ format: 'date-time', maxLength: 64, description: 'Later than the current dueAt' })
  proposedDueAt!: string;
}

export class OpenOrderUpdateRequestDto extends PickType(OpenRequestDto, ['comment'] as const) {
  @ApiProperty({ enum: ['order_update'], description: 'buyer only' })
  type!: 'order_update';
}

export class OpenPartialRefundRequestDto extends PickType(OpenRequestDto, ['comment'] as const) {
  @ApiProperty({ enum: ['partial_refund'], description: 'seller only' })
  type!: 'partial_refund';

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 1500,
    description:
      "Minor units of the order's currency; at least 500 and at most 60 % of the primary price (all agreed " +
      'partial refunds together), else 409 REFUND_NOT_ALLOWED',
  })
  amount!: number;

  @ApiProperty({ enum: PARTIAL_REFUND_REASONS, description: 'Confidential: never shown to the buyer' })
  reason!: string;
}

const VARIANTS: Record<RequestType, Type<unknown>> = {
  cancellation: OpenCancellationRequestDto,
  delivery_extension: OpenDeliveryExtensionRequestDto,
  order_update: OpenOrderUpdateRequestDto,
  partial_refund: OpenPartialRefundRequestDto,
};

export const OPEN_REQUEST_VARIANTS: Array<Type<unknown>> = Object.values(VARIANTS);

/** `oneOf` the variants, discriminated by `type`. */
export const OPEN_REQUEST_BODY_SCHEMA: SchemaObject = {
  oneOf: OPEN_REQUEST_VARIANTS.map((variant) => ({ $ref: getSchemaPath(variant) })),
  discriminator: {
    propertyName: 'type',
    mapping: Object.fromEntries(
      Object.entries(VARIANTS).map(([type, variant]) => [type, getSchemaPath(variant)]),
    ),
  },
};

/** One example body per request type. */
export const OPEN_REQUEST_EXAMPLES: Record<RequestType, { summary: string; value: object }> = {
  cancellation: {
    summary: 'Ask the counterpart to agree to cancel',
    value: { type: 'cancellation', reason: 'scope_changed', comment: 'The brief changed' },
  },
  delivery_extension: {
    summary: 'Seller proposes a later due date',
    value: {
      type: 'delivery_extension',
      proposedDueAt: '2025-03-20T12:00:00.000Z',
      comment: 'Two more days for the vector files',
    },
  },
  order_update: {
    summary: 'Buyer asks for an update',
    value: { type: 'order_update', comment: 'How is it going?' },
  },
  partial_refund: {
    summary: 'Seller offers part of the price back',
    value: {
      type: 'partial_refund',
      amount: 1500,
      reason: 'delay_compensation',
      comment: 'Sorry for the delay',
    },
  },
};
