import { ApiProperty } from '@nestjs/swagger';
import { ReadQueryDto } from '../../../http/read-your-writes';

export class CompletionRateQueryDto extends ReadQueryDto {}

export class CompletionRateDto {
  @ApiProperty()
  sellerId!: string;
  @ApiProperty({ type: 'integer', example: 60 })
  windowDays!: number;
  @ApiProperty({ format: 'date-time', description: 'The window is the 60 days up to this instant' })
  asOf!: string;
  @ApiProperty({ type: 'integer', description: 'Orders completed in the window' })
  completed!: number;
  @ApiProperty({
    type: 'integer',
    description: 'Counted cancellations in the window: mutual, auto-accepted, forced, support (counting)',
  })
  cancelled!: number;
  @ApiProperty({
    type: 'integer',
    description:
      'Cancellations in the window that do not count: buyer cancelled awaiting requirements, support marked not ' +
      'counting, or the buyer reordered from the seller within 14 days of a mutual/auto-accepted cancellation',
  })
  excluded!: number;
  @ApiProperty({
    format: 'double',
    type: Number,
    nullable: true,
    description: 'completed / (completed + cancelled), 0..1; null when nothing counted ended in the window',
    example: 0.95,
  })
  rate!: number | null;
}
