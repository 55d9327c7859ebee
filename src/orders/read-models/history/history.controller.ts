import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { EVENT_STORE, EventStore } from '../../../platform/event-store/event-store.port';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { ApiProblems } from '../../order-problems';
import { UuidParam } from '../../../http/validation';
import { READ_MODEL_POSITION_HEADER_DOC, ReadQueryDto, ReadYourWrites } from '../../../http/read-your-writes';
import { DomainError } from '../../domain/errors';
import type { OrderPlaced } from '../../domain/order.events';
import { streamNameOf, type Caller } from '../../domain/order.types';
import { redactEventData, seesConfidential } from '../confidential';
import { OrderHistoryDto } from './history.dto';

/**
 * The audit record is the stream itself: read it directly rather than from a projection, so the history is
 * complete and in order by construction: `?minPosition` never waits, and X-Read-Model-Position is the store's head.
 * Redacted per viewer: the buyer never reads a partial refund's confidential reason.
 */
@ApiTags('queries')
@ApiBearerAuth()
@Controller('orders')
export class HistoryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get(':orderId/history')
  @ReadYourWrites()
  @ApiOperation({ summary: "The order's full, ordered history (parties, support, auditor)" })
  @ApiOkResponse({ type: OrderHistoryDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN', 'ORDER_NOT_FOUND')
  async history(
    @UuidParam('orderId') orderId: string,
    @CurrentCaller() caller: Caller,
    @Query() _query: ReadQueryDto,
  ): Promise<OrderHistoryDto> {
    const events = await this.store.readStream(streamNameOf(orderId));
    const placed = events[0]?.type === 'OrderPlaced' ? (events[0].data as OrderPlaced['data']) : null;
    if (!placed) throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} not found`);
    const allowed =
      caller.userId === placed.buyerId ||
      caller.userId === placed.sellerId ||
      caller.roles.includes('support') ||
      caller.roles.includes('auditor');
    if (!allowed)
      throw new DomainError('FORBIDDEN', "only the order's parties, support and auditors read its history");
    // The buyer reads the history without the seller's confidential fields (a partial refund's reason).
    const confidential = seesConfidential(placed, caller);
    return {
      orderId,
      entries: events.map((e) => ({
        revision: e.revision,
        type: e.type,
        at: e.recordedAt,
        actor: { id: e.metadata.actor.id, role: e.metadata.actor.role },
        data: confidential ? e.data : redactEventData(e.type, e.data),
        position: e.position,
      })),
    };
  }
}
