/**
 * How leaf calls reach endpoints. The runtime never calls an endpoint directly: it asks a
 * backend, so that another backend (a distributed queue, say) can run the same graphs.
 */
import type { CompletionRequest, CompletionResult, Endpoint, EndpointDescription } from './endpoint.js'
import type { CallEventListener } from './events.js'

/** What a backend reports about one completed call. */
export interface CallOutcome extends CompletionResult {
  endpoint: EndpointDescription
  /** Time spent waiting for the endpoint's limiter, in ms. */
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
}

/**
 * The default backend: calls the endpoint objects in this process, each inside its own limiter.
 *
 * @example
 * ```ts
 * const backend = inProcessBackend({ fast: simulated({ latencyMs: 100 }) })
 * ```
 */
export function inProcessBackend(endpoints: Readonly<Record<string, Endpoint>>): Backend {
  return {
    async complete(alias, request, { signal, priority, onEvent }) {
      const endpoint = endpoints[alias]
      if (!endpoint) throw new TypeError(`Expected an endpoint for alias \`${alias}\`; bound aliases: ${Object.keys(endpoints).join(', ') || 'none'}.`)
      const description = endpoint.describe()
      const queuedAt = performance.now()
      onEvent?.({ type: 'queued', alias, at: queuedAt })
      let startedAt = queuedAt
      try {
        const result = await endpoint.schedule(
          () => {
            startedAt = performance.now()
            onEvent?.({ type: 'attempt', alias, attempt: 1, endpoint: description, at: startedAt })
            return endpoint.complete(request, { signal })
          },
          priority === undefined ? { signal } : { signal, priority },
        )
        onEvent?.(result.usage ? { type: 'end', alias, ok: true, usage: result.usage, at: performance.now() } : { type: 'end', alias, ok: true, at: performance.now() })
        return { ...result, endpoint: description, queuedMs: startedAt - queuedAt }
      } catch (error) {
        onEvent?.({ type: 'end', alias, ok: false, at: performance.now() })
        throw error
      }
    },
  }
}
