import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ReadQueryDto } from '../../../http/read-your-writes';
import { REQUEST_TYPES } from '../../domain/order.types';
import { PriceDto } from '../order-page/order-page.dto';

export const ORDER_STATUSES = [
  'awaiting_requirements',
  'in_progress',
  'delivered',
  'completed',
  'cancelled',
] as const;

export class ListOrdersQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({
    enum: ['buyer', 'seller'],
    description: 'Only the orders where the caller is this party; both when absent',
  })
  @IsOptional()
  @IsIn(['buyer', 'seller'])
  as?: 'buyer' | 'seller';

  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: (typeof ORDER_STATUSES)[number];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export class OpenRequestSummaryDto {
  @ApiProperty({ format: 'uuid' })
  requestId!: string;
  @ApiProperty({ enum: REQUEST_TYPES })
  type!: string;
  @ApiProperty({ enum: ['buyer', 'seller'] })
  openedBy!: string;
  @ApiProperty({ format: 'date-time' })
  respondBy!: string;
}

export class OrderSummaryDto {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;
  @ApiProperty({ enum: ['buyer', 'seller'], description: "The caller's side of this order" })
  role!: string;
  @ApiProperty()
  buyerId!: string;
  @ApiProperty()
  sellerId!: string;
  @ApiProperty()
  title!: string;
  @ApiProperty({ type: PriceDto })
  price!: PriceDto;
  @ApiProperty({ enum: ORDER_STATUSES })
  status!: string;
  @ApiProperty({ enum: ['on_time', 'late', 'very_late', null], nullable: true })
  lateness!: string | null;
  @ApiProperty({ format: 'date-time' })
  placedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  dueAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  cancelledAt!: string | null;
  @ApiProperty({ type: OpenRequestSummaryDto, nullable: true })
  openRequest!: OpenRequestSummaryDto | null;
  @ApiProperty({ type: 'integer' })
  revision!: number;
}

export class OrderListDto {
  @ApiProperty({ type: [OrderSummaryDto], description: 'Newest first' })
  items!: OrderSummaryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next page; null at the end',
  })
  nextCursor!: string | null;
}
