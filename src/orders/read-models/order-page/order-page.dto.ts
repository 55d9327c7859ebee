import { ApiProperty } from '@nestjs/swagger';
import { ALLOWED_ACTIONS } from '../../domain/order.rules';

export class PriceDto {
  @ApiProperty({ type: 'integer', description: 'Minor units', example: 5000 })
  amount!: number;
  @ApiProperty({ example: 'USD' })
  currency!: string;
}

export class OpenRequestViewDto {
  @ApiProperty({ format: 'uuid' })
  requestId!: string;
  @ApiProperty({ enum: ['cancellation', 'delivery_extension', 'order_update'] })
  type!: string;
  @ApiProperty({ enum: ['buyer', 'seller'] })
  openedBy!: string;
  @ApiProperty({ type: String, nullable: true, description: 'cancellation requests only' })
  reason!: string | null;
  @ApiProperty()
  comment!: string;
  @ApiProperty({ format: 'date-time' })
  openedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'openedAt + 48 h' })
  respondBy!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'delivery_extension only' })
  proposedDueAt!: string | null;
}

export class PendingExtrasViewDto {
  @ApiProperty({ format: 'uuid' })
  offerId!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: 'integer', description: 'Minor units, in the order currency' })
  amount!: number;
  @ApiProperty({ type: 'integer' })
  extraDays!: number;
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

export class CancellationViewDto {
  @ApiProperty({ enum: ['unilateral', 'forced', 'mutual', 'auto_accepted', 'support'] })
  mode!: string;
  @ApiProperty({ enum: ['buyer', 'seller', 'support'] })
  initiator!: string;
  @ApiProperty()
  reason!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty()
  countsTowardCompletionRate!: boolean;
}

export class OrderPageDto {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;
  @ApiProperty()
  buyerId!: string;
  @ApiProperty()
  sellerId!: string;
  @ApiProperty()
  title!: string;
  @ApiProperty({ type: PriceDto, description: 'Includes accepted extras' })
  price!: PriceDto;
  @ApiProperty({ enum: ['awaiting_requirements', 'in_progress', 'delivered', 'completed', 'cancelled'] })
  status!: string;
  @ApiProperty({
    enum: ['on_time', 'late', 'very_late'],
    nullable: true,
    description: 'Now, before the first delivery; null without a due date or once ended',
  })
  lateness!: string | null;
  @ApiProperty({ format: 'date-time' })
  placedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  dueAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last delivery' })
  deliveredAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;
  @ApiProperty({
    type: OpenRequestViewDto,
    nullable: true,
    description: 'The request open now (before respondBy)',
  })
  openRequest!: OpenRequestViewDto | null;
  @ApiProperty({ type: [PendingExtrasViewDto], description: 'Extras offers still open now' })
  pendingExtras!: PendingExtrasViewDto[];
  @ApiProperty({ type: CancellationViewDto, nullable: true })
  cancellation!: CancellationViewDto | null;
  @ApiProperty({
    enum: ALLOWED_ACTIONS,
    isArray: true,
    description: 'What the caller may do right now (the same rules as the commands)',
  })
  allowedActions!: string[];
  @ApiProperty({ type: 'integer', description: "The order stream's revision this page reflects", example: 7 })
  revision!: number;
}
