/**
 * How leaf calls reach endpoints. The runtime never calls an endpoint directly: it asks a
 * backend, so that another backend (a distributed queue, say) can run the same graphs.
 */
import type { CompletionRequest, CompletionResult, Endpoint, EndpointDescription } from './endpoint.js'

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
  complete(alias: string, request: CompletionRequest, options: { signal: AbortSignal; priority?: number }): Promise<CallOutcome>
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
    async complete(alias, request, { signal, priority }) {
      const endpoint = endpoints[alias]
      if (!endpoint) throw new TypeError(`Expected an endpoint for alias \`${alias}\`; bound aliases: ${Object.keys(endpoints).join(', ') || 'none'}.`)
      const queuedAt = performance.now()
      let startedAt = queuedAt
      const result = await endpoint.schedule(
        () => {
          startedAt = performance.now()
          return endpoint.complete(request, { signal })
        },
        priority === undefined ? { signal } : { signal, priority },
      )
      return { ...result, endpoint: endpoint.describe(), queuedMs: startedAt - queuedAt }
    },
  }
}
