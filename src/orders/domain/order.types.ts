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

export type RequestType = 'cancellation' | 'delivery_extension' | 'order_update';
export const REQUEST_TYPES: readonly RequestType[] = ['cancellation', 'delivery_extension', 'order_update'];

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

export const streamNameOf = (orderId: string): string => `order-${orderId}`;
export const ORDER_STREAM_PREFIX = 'order-';
