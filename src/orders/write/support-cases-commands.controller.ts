// The support-case command routes (api.md "Commands"): a party opens, adds statements and withdraws; support claims,
// posts messages, asks a party for information and resolves. Who may do what is the decider's (403 → 404 → 409).
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { COMMON_PROBLEMS } from '../../http/openapi';
import { EmptyBody, UuidParam } from '../../http/validation';
import type { Evidence } from '../domain/order.types';
import { ApiProblems } from '../order-problems';
import { CommandContext, CommandRoutes, type CommandRequestContext } from './command-context.decorator';
import { EmptyBodyDto } from './dto/command-bodies.dto';
import {
  CommandResponseDto,
  OpenSupportCaseResponseDto,
  RequestInformationResponseDto,
} from './dto/command-responses.dto';
import {
  AddStatementDto,
  EvidenceDto,
  OpenSupportCaseDto,
  RequestInformationDto,
  ResolveSupportCaseDto,
  SupportMessageDto,
} from './dto/support-case-bodies.dto';
import { baseResponse as base, OrderCommandRunner, respondOpened } from './order-command.runner';

const CASE_PROBLEMS = [
  ...COMMON_PROBLEMS,
  'FORBIDDEN',
  'ORDER_NOT_FOUND',
  'CASE_NOT_FOUND',
  'CASE_NOT_OPEN',
  'CONCURRENCY_CONFLICT',
] as const;

const evidenceOf = (items: EvidenceDto[] | undefined): Evidence[] | undefined =>
  items?.map((e) => ({
    name: e.name,
    contentType: e.contentType,
    sizeBytes: e.sizeBytes,
    sha256: e.sha256.toLowerCase(),
    url: e.url,
  }));

@ApiTags('support cases')
@CommandRoutes()
@Controller('orders/:orderId/support-cases')
export class SupportCasesCommandsController {
  constructor(private readonly runner: OrderCommandRunner) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'A party opens a support case (one open case per order)' })
  @ApiCreatedResponse({ type: OpenSupportCaseResponseDto })
  @ApiProblems(
    ...COMMON_PROBLEMS,
    'FORBIDDEN',
    'ORDER_NOT_FOUND',
    'CASE_ALREADY_OPEN',
    'INVALID_STATE',
    'CONCURRENCY_CONFLICT',
  )
  open(
    @UuidParam('orderId') orderId: string,
    @Body() dto: OpenSupportCaseDto,
    @CommandContext() ctx: CommandRequestContext,
  ): Promise<OpenSupportCaseResponseDto> {
    const caseId = randomUUID();
    return this.runner.run(
      orderId,
      {
        type: 'OpenSupportCase',
        data: {
          caseId,
          category: dto.category,
          description: dto.description,
          evidence: evidenceOf(dto.evidence),
        },
      },
      ctx,
      respondOpened('SupportCaseOpened', (opened) => ({
        caseId: opened?.caseId ?? caseId,
        firstResponseDueAt: opened?.firstResponseDueAt ?? '',
      })),
    );
  }

  @Post(':caseId/claim')
  @HttpCode(200)
  @ApiOperation({ summary: 'Support claims the case (assignee := caller)' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...CASE_PROBLEMS, 'INVALID_STATE')
  claim(
    @UuidParam('orderId') orderId: string,
    @UuidParam('caseId') caseId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.runner.run(orderId, { type: 'ClaimSupportCase', data: { caseId } }, ctx, base);
  }

  @Post(':caseId/messages')
  @HttpCode(201)
  @ApiOperation({ summary: 'Support posts a message both parties see' })
  @ApiCreatedResponse({ type: CommandResponseDto })
  @ApiProblems(...CASE_PROBLEMS)
  postMessage(
    @UuidParam('orderId') orderId: string,
    @UuidParam('caseId') caseId: string,
    @Body() dto: SupportMessageDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.runner.run(
      orderId,
      { type: 'PostSupportMessage', data: { caseId, text: dto.text } },
      ctx,
      base,
    );
  }

  @Post(':caseId/information-requests')
  @HttpCode(201)
  @ApiOperation({ summary: 'Support asks one party for information (48 h to answer)' })
  @ApiCreatedResponse({ type: RequestInformationResponseDto })
  @ApiProblems(...CASE_PROBLEMS, 'INVALID_STATE')
  requestInformation(
    @UuidParam('orderId') orderId: string,
    @UuidParam('caseId') caseId: string,
    @Body() dto: RequestInformationDto,
    @CommandContext() ctx: CommandRequestContext,
  ): Promise<RequestInformationResponseDto> {
    const informationRequestId = randomUUID();
    return this.runner.run(
      orderId,
      {
        type: 'RequestInformation',
        data: { caseId, informationRequestId, party: dto.party, question: dto.question },
      },
      ctx,
      respondOpened('SupportInformationRequested', (requested) => ({
        informationRequestId: requested?.informationRequestId ?? informationRequestId,
        respondBy: requested?.respondBy ?? '',
      })),
    );
  }

  @Post(':caseId/statements')
  @HttpCode(201)
  @ApiOperation({ summary: 'A party adds a statement (+ evidence), or answers an information request' })
  @ApiCreatedResponse({ type: CommandResponseDto })
  @ApiProblems(...CASE_PROBLEMS, 'INVALID_STATE')
  addStatement(
    @UuidParam('orderId') orderId: string,
    @UuidParam('caseId') caseId: string,
    @Body() dto: AddStatementDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.runner.run(
      orderId,
      {
        type: 'AddStatement',
        data: {
          caseId,
          text: dto.text,
          evidence: evidenceOf(dto.evidence),
          informationRequestId: dto.informationRequestId?.toLowerCase(),
        },
      },
      ctx,
      base,
    );
  }

  @Post(':caseId/withdraw')
  @HttpCode(200)
  @ApiOperation({ summary: 'The party who opened the case withdraws it' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...CASE_PROBLEMS)
  withdraw(
    @UuidParam('orderId') orderId: string,
    @UuidParam('caseId') caseId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.runner.run(orderId, { type: 'WithdrawSupportCase', data: { caseId } }, ctx, base);
  }

  @Post(':caseId/resolution')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Support resolves the case: cancel_order, partial_refund, extend_due_date, complete_order or no_action',
  })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...CASE_PROBLEMS, 'REFUND_NOT_ALLOWED', 'INVALID_STATE')
  resolve(
    @UuidParam('orderId') orderId: string,
    @UuidParam('caseId') caseId: string,
    @Body() dto: ResolveSupportCaseDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.runner.run(
      orderId,
      {
        type: 'ResolveSupportCase',
        data: {
          caseId,
          outcome: dto.outcome,
          rationale: dto.rationale,
          amount: dto.amount,
          newDueAt: dto.newDueAt,
          countsTowardCompletionRate: dto.countsTowardCompletionRate,
        },
      },
      ctx,
      base,
    );
  }
}
