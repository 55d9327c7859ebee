// The vocabulary of the order domain. Pure data: no Nest, no I/O.

export type OrderStatus = 'awaiting_requirements' | 'in_progress' | 'delivered' | 'completed' | 'cancelled';
export const ACTIVE_STATUSES: readonly OrderStatus[] = ['awaiting_requirements', 'in_progress', 'delivered'];

export type Party = 'buyer' | 'seller';
/** Who caused an event. `system` is the scheduler acting on a timeout. */
export type ActorRole = 'buyer' | 'seller' | 'support' | 'system';
export interface Actor {
  id: string;
  role: ActorRole;
}
/** Roles carried by a JWT's `roles` claim: staff, and the marketplace's checkout (the only one placing orders). */
export type StaffRole = 'support' | 'auditor' | 'analyst' | 'checkout';
export const STAFF_ROLES: readonly StaffRole[] = ['support', 'auditor', 'analyst', 'checkout'];
/** The authenticated caller of an HTTP request, before it is matched against an order. */
export interface Caller {
  userId: string;
  roles: readonly StaffRole[];
}
export const SYSTEM_ACTOR: Actor = { id: 'system', role: 'system' };

/** Money in minor units. */
export interface Money {
  amount: number;
  currency: string;
}

export type RequestType = 'cancellation' | 'delivery_extension' | 'order_update' | 'partial_refund';
export const REQUEST_TYPES: readonly RequestType[] = [
  'cancellation',
  'delivery_extension',
  'order_update',
  'partial_refund',
];

export type CancellationMode = 'unilateral' | 'forced' | 'mutual' | 'auto_accepted' | 'support';
export type CancellationInitiator = 'buyer' | 'seller' | 'support';
export type Lateness = 'on_time' | 'late' | 'very_late';

// [decision] cancellation reasons, from the grounds the marketplace's support uses (domain.md).
export const BUYER_CANCELLATION_REASONS = [
  'seller_unresponsive',
  'late_delivery',
  'not_as_described',
  'ordered_by_mistake',
  'no_longer_needed',
  'other',
] as const;
export const SELLER_CANCELLATION_REASONS = [
  'buyer_unresponsive',
  'cannot_deliver',
  'requirements_unclear',
  'scope_changed',
  'buyer_requested',
  'other',
] as const;
export const SUPPORT_CANCELLATION_REASONS = [
  'fraud',
  'terms_violation',
  'ordered_by_mistake',
  'other',
] as const;
export type BuyerCancellationReason = (typeof BUYER_CANCELLATION_REASONS)[number];
export type SellerCancellationReason = (typeof SELLER_CANCELLATION_REASONS)[number];
export type SupportCancellationReason = (typeof SUPPORT_CANCELLATION_REASONS)[number];
export type CancellationReason =
  BuyerCancellationReason | SellerCancellationReason | SupportCancellationReason;
export const ALL_CANCELLATION_REASONS: readonly string[] = [
  ...new Set<string>([
    ...BUYER_CANCELLATION_REASONS,
    ...SELLER_CANCELLATION_REASONS,
    ...SUPPORT_CANCELLATION_REASONS,
  ]),
];

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/** Every request and extras offer must be answered within this window. */
export const ANSWER_WINDOW_MS = 48 * HOUR_MS;
/** very_late once now >= dueAt + 24 h. */
export const VERY_LATE_AFTER_MS = 24 * HOUR_MS;
/** A delivered order left without buyer action completes after 3 days. */
export const AUTO_COMPLETE_AFTER_MS = 3 * DAY_MS;

// ---- partial refunds (domain.md "Partial refunds") -----------------------------------------------------------

/** The seller's confidential reason for a partial refund offer: the buyer never sees it. */
export const PARTIAL_REFUND_REASONS = [
  'scope_changed',
  'delay_compensation',
  'partial_dissatisfaction',
  'other',
] as const;
export type PartialRefundReason = (typeof PARTIAL_REFUND_REASONS)[number];
/** The primary price (at placement, extras excluded) must be over this for a partial refund request. */
export const PARTIAL_REFUND_MIN_PRIMARY_PRICE = 5000;
/** Each offer is at least this much. */
export const PARTIAL_REFUND_MIN_AMOUNT = 500;
/** Each offer, and [decision] all agreed ones together, at most this percentage of the primary price. */
export const PARTIAL_REFUND_MAX_PERCENT = 60;
export type RefundSource = 'request' | 'support';

// ---- support cases (domain.md "Support cases") ------------------------------------------------------------

export const SUPPORT_CASE_CATEGORIES = [
  'quality',
  'non_delivery',
  'communication',
  'scope_dispute',
  'other',
] as const;
export type SupportCaseCategory = (typeof SUPPORT_CASE_CATEGORIES)[number];
/** What support may decide when resolving a case. */
export const SUPPORT_RESOLUTION_OUTCOMES = [
  'cancel_order',
  'partial_refund',
  'extend_due_date',
  'complete_order',
  'no_action',
] as const;
export type SupportResolutionOutcome = (typeof SUPPORT_RESOLUTION_OUTCOMES)[number];
/** A case's outcome: support's, or `settled_by_parties` when the order ended while it was open. */
export type SupportCaseOutcome = SupportResolutionOutcome | 'settled_by_parties';
export type SupportCaseStatus = 'open' | 'resolved' | 'withdrawn';

/** Metadata of a file kept elsewhere. */
export interface Evidence {
  name: string;
  contentType: string;
  sizeBytes: number;
  /** 64 hex digits, lower case. */
  sha256: string;
  /** https only. */
  url: string;
}
export const MAX_EVIDENCE_ITEMS = 10;
/** [decision] "100 MB" read as 100 MiB: the larger of the two readings, so no file a user calls 100 MB is refused. */
export const MAX_EVIDENCE_BYTES = 100 * 1024 * 1024;
export const MAX_CASE_TEXT = 10_000;
/** Support responds (claims the case or posts a message) within this, or the case is marked overdue. */
export const FIRST_RESPONSE_WITHIN_MS = 24 * HOUR_MS;
/** A party answers support's information request within this, or it lapses. */
export const INFORMATION_WINDOW_MS = 48 * HOUR_MS;

export const streamNameOf = (orderId: string): string => `order-${orderId}`;
export const ORDER_STREAM_PREFIX = 'order-';
