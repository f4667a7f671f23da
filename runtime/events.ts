/**
 * What happens to one leaf call on its way through a backend: limiter waits, attempts, retries,
 * fallbacks. Backends report these as they happen; the runtime keeps them on the node
 * (`details.events`) for records, profiles and traces. Times are `performance.now()` milliseconds.
 */
import type { EndpointDescription, Usage } from './endpoint.js'

/** One event of a leaf call. */
export type CallEvent =
  /** The call asked the endpoint's limiter for a slot. */
  | { type: 'queued'; alias: string; at: number }
  /** A rate limit (requests or tokens per minute, or a server's retry-after) made the call wait. */
  | { type: 'rate-limit-wait'; alias: string; reason: 'rpm' | 'tpm' | 'retry-after'; waitMs: number; at: number }
  /** An attempt started on an endpoint. */
  | { type: 'attempt'; alias: string; attempt: number; endpoint: EndpointDescription; at: number }
  /** An attempt failed and another will follow after `delayMs`. */
  | { type: 'retry'; alias: string; attempt: number; delayMs: number; status: number | undefined; message: string; at: number }
  /** The endpoint of `from` was exhausted or down; the call moves to `to`. */
  | { type: 'fallback'; from: string; to: string; at: number }
  /** The call ended: it succeeded, or failed for good. */
  | { type: 'end'; alias: string; ok: boolean; usage?: Usage; at: number }

/** Receives call events. */
export type CallEventListener = (event: CallEvent) => void
