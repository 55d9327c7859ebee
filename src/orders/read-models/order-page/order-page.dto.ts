import { ApiProperty } from '@nestjs/swagger';
import { ALLOWED_ACTIONS } from '../../domain/order.rules';
import {
  PARTIAL_REFUND_REASONS,
  REQUEST_TYPES,
  SUPPORT_CASE_CATEGORIES,
  SUPPORT_RESOLUTION_OUTCOMES,
} from '../../domain/order.types';
import { EvidenceDto } from '../../write/dto/support-case-bodies.dto';

export class PriceDto {
  @ApiProperty({ type: 'integer', description: 'Minor units', example: 5000 })
  amount!: number;
  @ApiProperty({ example: 'USD' })
  currency!: string;
}

export class OpenRequestViewDto {
  @ApiProperty({ format: 'uuid' })
  requestId!: string;
  @ApiProperty({ enum: REQUEST_TYPES })
  type!: string;
  @ApiProperty({ enum: ['buyer', 'seller'] })
  openedBy!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      `cancellation: the reason; partial_refund: the seller's confidential reason (${PARTIAL_REFUND_REASONS.join(', ')}), ` +
      'shown to the seller, support and auditors only (null for the buyer); null otherwise',
  })
  reason!: string | null;
  @ApiProperty()
  comment!: string;
  @ApiProperty({ format: 'date-time' })
  openedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'openedAt + 48 h' })
  respondBy!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'delivery_extension only' })
  proposedDueAt!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'partial_refund only: minor units' })
  amount!: number | null;
}

export class RefundViewDto {
  @ApiProperty({ type: 'integer', description: "Minor units, in the order's currency" })
  amount!: number;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty({
    enum: ['request', 'support'],
    description: 'An accepted partial refund request, or support',
  })
  by!: string;
}

export class CaseAuthorDto {
  @ApiProperty()
  id!: string;
  @ApiProperty({ enum: ['buyer', 'seller', 'support'] })
  role!: string;
}

export class InformationRequestViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: ['buyer', 'seller'] })
  party!: string;
  @ApiProperty()
  question!: string;
  @ApiProperty({ format: 'date-time', description: 'requestedAt + 48 h' })
  respondBy!: string;
}

export class ThreadEntryDto {
  @ApiProperty({ enum: ['message', 'statement', 'information_request'] })
  kind!: string;
  @ApiProperty({ type: CaseAuthorDto })
  by!: CaseAuthorDto;
  @ApiProperty()
  text!: string;
  @ApiProperty({ type: [EvidenceDto] })
  evidence!: EvidenceDto[];
  @ApiProperty({ format: 'date-time' })
  at!: string;
}

export class CaseResolutionDto {
  @ApiProperty({ enum: [...SUPPORT_RESOLUTION_OUTCOMES, 'settled_by_parties'] })
  outcome!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Shown to both parties; null for settled_by_parties',
  })
  rationale!: string | null;
  @ApiProperty({ format: 'date-time' })
  at!: string;
}

export class SupportCaseViewDto {
  @ApiProperty({ format: 'uuid' })
  caseId!: string;
  @ApiProperty({ enum: ['open', 'resolved', 'withdrawn'] })
  status!: string;
  @ApiProperty({ enum: SUPPORT_CASE_CATEGORIES })
  category!: string;
  @ApiProperty({ enum: ['buyer', 'seller'] })
  openedBy!: string;
  @ApiProperty({ format: 'date-time' })
  openedAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The support agent who claimed it' })
  assignee!: string | null;
  @ApiProperty({ description: 'No first response within 24 h of opening (stays true)' })
  overdue!: boolean;
  @ApiProperty({
    type: InformationRequestViewDto,
    nullable: true,
    description: 'The outstanding one; null again once answered or lapsed',
  })
  informationRequest!: InformationRequestViewDto | null;
  @ApiProperty({ type: [ThreadEntryDto] })
  thread!: ThreadEntryDto[];
  @ApiProperty({ type: CaseResolutionDto, nullable: true })
  resolution!: CaseResolutionDto | null;
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
    // OpenAPI 3.0: a nullable enum lists null among its values, or null is refused.
    enum: ['on_time', 'late', 'very_late', null],
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
  @ApiProperty({ type: [RefundViewDto] })
  refunds!: RefundViewDto[];
  @ApiProperty({ type: PriceDto, description: 'Price with extras minus refunds' })
  netPrice!: PriceDto;
  @ApiProperty({ type: SupportCaseViewDto, nullable: true, description: 'The latest support case' })
  supportCase!: SupportCaseViewDto | null;
  @ApiProperty({
    enum: ALLOWED_ACTIONS,
    isArray: true,
    description: 'What the caller may do right now (the same rules as the commands)',
  })
  allowedActions!: string[];
  @ApiProperty({ type: 'integer', description: "The order stream's revision this page reflects", example: 7 })
  revision!: number;
}
