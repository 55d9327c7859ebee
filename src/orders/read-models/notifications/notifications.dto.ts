import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ReadQueryDto } from '../../../http/read-your-writes';
import { NOTIFYING_EVENT_TYPES } from './notifications.projection';

export class NotificationsQueryDto extends ReadQueryDto {
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

export class NotificationActorDto {
  @ApiProperty({ example: 'seller-42' })
  id!: string;
  @ApiProperty({ enum: ['buyer', 'seller', 'support', 'system'] })
  role!: string;
}

export class NotificationDto {
  @ApiProperty({ format: 'uuid', description: 'Unique per event (the event id)' })
  notificationId!: string;
  @ApiProperty({ format: 'uuid' })
  orderId!: string;
  @ApiProperty()
  orderTitle!: string;
  @ApiProperty({ enum: ['buyer', 'seller'], description: "The caller's side of the order" })
  role!: string;
  @ApiProperty({ enum: NOTIFYING_EVENT_TYPES, description: 'What happened: the event type' })
  type!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty({
    type: NotificationActorDto,
    description: 'Who did it: the other party, support or the system',
  })
  actor!: NotificationActorDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The event data (requestId, requestType, reason, comment, mode, offerId, ...)',
  })
  data!: Record<string, unknown>;
  @ApiProperty({ description: 'Global position of the event', example: '1042' })
  position!: string;
}

export class NotificationListDto {
  @ApiProperty({ type: [NotificationDto], description: 'Newest first' })
  items!: NotificationDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next page; null at the end',
  })
  nextCursor!: string | null;
}
