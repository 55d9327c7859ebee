import { ApiProperty } from '@nestjs/swagger';

export class CommandResponseDto {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;
  @ApiProperty({
    type: 'integer',
    description: "The order stream's revision after the command (0-based)",
    example: 3,
  })
  revision!: number;
  @ApiProperty({
    type: String,
    description: 'Global position of the last event written (decimal string); pass as ?minPosition= to GETs',
    example: '1042',
  })
  position!: string | null;
}

export class OpenRequestResponseDto extends CommandResponseDto {
  @ApiProperty({ format: 'uuid' })
  requestId!: string;
  @ApiProperty({ format: 'date-time', description: 'openedAt + 48 h: the counterpart answers before this' })
  respondBy!: string;
}

export class OfferExtrasResponseDto extends CommandResponseDto {
  @ApiProperty({ format: 'uuid' })
  offerId!: string;
}

export class OpenSupportCaseResponseDto extends CommandResponseDto {
  @ApiProperty({ format: 'uuid' })
  caseId!: string;
  @ApiProperty({ format: 'date-time', description: 'openedAt + 24 h: support claims or answers before this' })
  firstResponseDueAt!: string;
}

export class RequestInformationResponseDto extends CommandResponseDto {
  @ApiProperty({ format: 'uuid' })
  informationRequestId!: string;
  @ApiProperty({ format: 'date-time', description: 'requestedAt + 48 h: the party answers before this' })
  respondBy!: string;
}
