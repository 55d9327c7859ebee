import { ApiProperty } from '@nestjs/swagger';

export class HistoryActorDto {
  @ApiProperty({ example: 'user-1' })
  id!: string;
  @ApiProperty({ enum: ['buyer', 'seller', 'support', 'system'] })
  role!: string;
}

export class HistoryEntryDto {
  @ApiProperty({ type: 'integer', description: 'Revision in the order stream: 0, 1, 2, ... without gaps' })
  revision!: number;
  @ApiProperty({ example: 'ResolutionRequestOpened' })
  type!: string;
  @ApiProperty({ format: 'date-time', description: 'When the event was recorded' })
  at!: string;
  @ApiProperty({ type: HistoryActorDto })
  actor!: HistoryActorDto;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event data, as recorded' })
  data!: Record<string, unknown>;
  @ApiProperty({ description: 'Global position of the event (decimal string)', example: '17' })
  position!: string;
}

export class OrderHistoryDto {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;
  @ApiProperty({ type: [HistoryEntryDto] })
  entries!: HistoryEntryDto[];
}
