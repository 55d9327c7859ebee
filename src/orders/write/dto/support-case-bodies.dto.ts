// Support-case request bodies (shape only; the decider holds the rules: which party, which state, refund limits).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
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
  ValidateNested,
} from 'class-validator';
import {
  MAX_CASE_TEXT,
  MAX_EVIDENCE_BYTES,
  MAX_EVIDENCE_ITEMS,
  SUPPORT_CASE_CATEGORIES,
  SUPPORT_RESOLUTION_OUTCOMES,
  type Party,
  type SupportCaseCategory,
  type SupportResolutionOutcome,
} from '../../domain/order.types';
import { UUID_RE } from '../../../http/validation';
import { MAX_MINOR_UNITS, NotBlank } from './command-bodies.dto';

const PARTIES: readonly Party[] = ['buyer', 'seller'];
const MAX_LABEL = 255;
const MAX_URL = 2048;

/** Metadata of a file kept elsewhere. */
export class EvidenceDto {
  @ApiProperty({ maxLength: MAX_LABEL, example: 'screenshot.png' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_LABEL)
  name!: string;

  @ApiProperty({ maxLength: MAX_LABEL, example: 'image/png' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_LABEL)
  contentType!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 20480,
    maximum: MAX_EVIDENCE_BYTES,
    description: 'Bytes, at most 100 MB (MiB)',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_EVIDENCE_BYTES)
  sizeBytes!: number;

  @ApiProperty({
    pattern: '^[0-9a-f]{64}$',
    description: 'SHA-256 of the file, 64 hex digits',
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  })
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hex digits' })
  sha256!: string;

  @ApiProperty({ maxLength: MAX_URL, example: 'https://files.example.com/e/1', description: 'https only' })
  @IsString()
  @MaxLength(MAX_URL)
  @Matches(/^https:\/\/\S+$/i, { message: 'url must be an https URL' })
  url!: string;
}

const evidenceProperty = () =>
  ApiPropertyOptional({ type: [EvidenceDto], maxItems: MAX_EVIDENCE_ITEMS, description: 'Up to 10 files' });

export class OpenSupportCaseDto {
  @ApiProperty({ enum: SUPPORT_CASE_CATEGORIES })
  @IsIn(SUPPORT_CASE_CATEGORIES)
  category!: SupportCaseCategory;

  @ApiProperty({ minLength: 1, maxLength: MAX_CASE_TEXT, example: 'The files do not open' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_CASE_TEXT)
  description!: string;

  @evidenceProperty()
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_EVIDENCE_ITEMS)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => EvidenceDto)
  evidence?: EvidenceDto[];
}

export class SupportMessageDto {
  @ApiProperty({
    minLength: 1,
    maxLength: MAX_CASE_TEXT,
    description: 'Seen by both parties',
    example: 'We are looking into it',
  })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_CASE_TEXT)
  text!: string;
}

export class RequestInformationDto {
  @ApiProperty({ enum: PARTIES, description: 'The party asked; it answers within 48 h' })
  @IsIn(PARTIES)
  party!: Party;

  @ApiProperty({ minLength: 1, maxLength: MAX_CASE_TEXT, example: 'Which file format did you agree on?' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_CASE_TEXT)
  question!: string;
}

export class AddStatementDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_CASE_TEXT, example: 'The brief asked for SVG' })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_CASE_TEXT)
  text!: string;

  @evidenceProperty()
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_EVIDENCE_ITEMS)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => EvidenceDto)
  evidence?: EvidenceDto[];

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "The information request this answers (support's question); without it, a statement by the asked party " +
      'within the 48 h answers the outstanding one',
  })
  @IsOptional()
  @IsString()
  @Matches(UUID_RE, { message: 'informationRequestId must be a uuid' })
  informationRequestId?: string;
}

export class ResolveSupportCaseDto {
  @ApiProperty({ enum: SUPPORT_RESOLUTION_OUTCOMES })
  @IsIn(SUPPORT_RESOLUTION_OUTCOMES)
  outcome!: SupportResolutionOutcome;

  @ApiProperty({
    minLength: 1,
    maxLength: MAX_CASE_TEXT,
    description: 'Shown to both parties',
    example: 'The delivery matched the brief',
  })
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(MAX_CASE_TEXT)
  rationale!: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'partial_refund only (required there): up to the price minus earlier refunds, minor units',
    minimum: 1,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  amount?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'extend_due_date only (required there): later than the current dueAt',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  newDueAt?: string;

  @ApiPropertyOptional({
    description: 'cancel_order only (required there): counts toward the completion rate',
  })
  @IsOptional()
  @IsBoolean()
  countsTowardCompletionRate?: boolean;
}
