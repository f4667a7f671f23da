/**
 * How leaf calls reach endpoints. The runtime never calls an endpoint on its own: it asks a
 * backend, so that another backend (a distributed queue, say) can run the same graphs. The
 * in-process backend (under `ledgerBackend`) also offers runs a direct route to its endpoints for
 * calls with nothing configured between them (runtime/direct.ts); other backends offer none.
 */
import type { CompletionRequest, CompletionResult, Endpoint, EndpointDescription } from './endpoint.js'
import type { CallEventListener } from './events.js'
import { markInProcess } from './direct.js'
import { checkFallbacks, completeWithLimits } from './limits/call.js'

/** What a backend reports about one completed call. */
export interface CallOutcome extends CompletionResult {
  /** The endpoint that answered (a fallback's, when the call fell back). */
  endpoint: EndpointDescription
  /** The alias of the endpoint that answered (the in-process backend always says). */
  alias?: string
  /** Attempts made in all, the answering one included, across the endpoint and its fallbacks (the in-process backend always says). */
  attempts?: number
  /** Time spent waiting for the endpoints' limiters (slots and rate limits), over all attempts, in ms. Backoff sleeps are not included. */
  queuedMs: number
}

/**
 * Executes leaf calls by endpoint alias.
 *
 * @example
 * ```ts
 * const backend = inProcessBackend({ fast: simulated() })
 * const outcome = await backend.complete('fast', { messages: [{ role: 'user', content: 'hi' }] }, { signal })
 * ```
 */
export interface Backend {
  complete(alias: string, request: CompletionRequest, options: BackendCallOptions): Promise<CallOutcome>
}

/** Options of one leaf call through a backend. */
export interface BackendCallOptions {
  signal: AbortSignal
  /** Higher runs first when the endpoint is contended. */
  priority?: number
  /** Receives the call's events as they happen. */
  onEvent?: CallEventListener
  /** The run the call belongs to (its `number`, and its item `index` in a batch or stream), for ledgers. */
  run?: CallRun
}

/**
 * Which run a call belongs to, as ledgers record it (`Run` has these).
 *
 * @example
 * ```ts
 * backend.complete('fast', request, { signal, run: { number: 7, index: 2 } })
 * ```
 */
export interface CallRun {
  readonly number: number
  /** The item's index in `batch()` or `stream()` input. */
  readonly index?: number | undefined
}

/**
 * The default backend: calls the endpoint objects in this process, each attempt through the
 * endpoint's own limits (`maxConcurrent`, `rpm`, `tpm`, `timeoutMs`, adaptive backoff), retrying
 * retryable failures per the endpoint's `retries` and then trying its `fallbacks` in order.
 * Retries happen here, at the leaf call: a retry repeats one request, never a finished node.
 * Throws a `TypeError` at once when an endpoint's `fallbacks` names an alias that is not bound.
 *
 * @example
 * ```ts
 * const backend = inProcessBackend({
 *   main: simulated({ latencyMs: 100, fallbacks: ['backup'] }),
 *   backup: simulated({ latencyMs: 50 }),
 * })
 * const outcome = await backend.complete('main', request, { signal, onEvent: (event) => console.log(event.type) })
 * outcome.alias // 'main', or 'backup' when main gave up
 * ```
 */
export function inProcessBackend(endpoints: Readonly<Record<string, Endpoint>>): Backend {
  checkFallbacks(endpoints)
  return markInProcess({ complete: (alias, request, options) => completeWithLimits(endpoints, alias, request, options) }, endpoints)
}
