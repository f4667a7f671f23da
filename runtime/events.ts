/**
 * What happens to one leaf call on its way through a backend: limiter waits, attempts, retries,
 * fallbacks. Backends report these as they happen; the runtime keeps them on the node
 * (`details.events`) for records, profiles and traces. Times are `performance.now()` milliseconds.
 *
 * The in-process backend reports, per call, in this order:
 * - per attempt: `queued`, then (when a rate limit held it back) `rate-limit-wait`, then `attempt`;
 *   after a retryable failure with attempts left, `retry`, then the backoff sleep;
 * - when an endpoint is given up and a fallback follows: `fallback`, then the fallback's attempts
 *   (numbered from 1 again);
 * - last, `end` (success, or failure for good).
 * A call that fails for good without retry (400, validation, abort) goes straight to `end`.
 */
import type { EndpointDescription, Usage } from './endpoint.js'

/** One event of a leaf call. */
export type CallEvent =
  /** An attempt asked the endpoint's limiter for admission (a slot and the rate limits). */
  | { type: 'queued'; alias: string; at: number }
  /**
   * A rate limit (requests or tokens per minute) held the attempt back while a concurrency slot
   * was free. Reported when the attempt is admitted: `waitMs` is the time it was held back by
   * this limit, and `at` is when that wait began, taken as the last `waitMs` before admission
   * (the following `attempt` event's `at` is the admission).
   */
  | { type: 'rate-limit-wait'; alias: string; reason: 'rpm' | 'tpm'; waitMs: number; at: number }
  /** An attempt was admitted and sent to an endpoint (`attempt` counts from 1 per endpoint). */
  | { type: 'attempt'; alias: string; attempt: number; endpoint: EndpointDescription; at: number }
  /**
   * Attempt `attempt` failed with a retryable error and another will follow after `delayMs`
   * (exponential backoff with full jitter, at least the server's `retryAfterMs` when it sent one).
   */
  | { type: 'retry'; alias: string; attempt: number; delayMs: number; status: number | undefined; message: string; retryAfterMs?: number; at: number }
  /** The endpoint of `from` was given up after `attempts` attempts (`message`: why); the call moves to `to`. */
  | { type: 'fallback'; from: string; to: string; attempts: number; message: string; at: number }
  /** The call ended: it succeeded at endpoint `alias`, or failed for good (`alias`: the last one tried). */
  | { type: 'end'; alias: string; ok: boolean; usage?: Usage; at: number }

/** Receives call events. */
export type CallEventListener = (event: CallEvent) => void
