import type { CompletionRequest, Endpoint } from '../endpoint.js'
import type { EndpointLimitOptions } from '../limits/options.js'
import { defineEndpoint } from './define.js'
import { faultError, faultPicker, type SimulatedFaults } from './simulated-faults.js'
import { defaultReply } from './simulated-reply.js'
import { seededRandom } from './prng.js'
import { show } from './show.js'
import { sleep, untilAborted } from './sleep.js'

/**
 * What a `reply` function of {@link simulated} is told about the request.
 *
 * @example
 * ```ts
 * simulated({ reply: (_request, { model, index }) => `${model} reply #${index}` })
 * ```
 */
export interface SimulatedReplyContext {
  model: string
  /** 0-based number of this request at this endpoint, in arrival order. */
  index: number
  signal: AbortSignal
}

/**
 * Options of {@link simulated}: the simulation, and the endpoint's limits
 * ({@link EndpointLimitOptions}: `maxConcurrent` default 64, `rpm`, `tpm`, `burst`, `retries`
 * default 4 attempts, `timeoutMs`, `fallbacks`, `adaptive`), which work as for `openai()`.
 *
 * @example
 * ```ts
 * const options: SimulatedOptions = { model: 'fast', latencyMs: 20, jitter: 0.1, faults: { rate429: 0.05 }, seed: 1, rpm: 600 }
 * ```
 */
export interface SimulatedOptions extends EndpointLimitOptions {
  /** The model name reported in replies and descriptions. Default `'simulated'`. */
  model?: string
  /** Milliseconds each request takes, or a function of the request. Default 0. */
  latencyMs?: number | ((request: CompletionRequest) => number)
  /** Random spread of the latency as a fraction: 0.1 gives ±10%, drawn from a PRNG seeded with `seed`. Default 0. */
  jitter?: number
  /** A fixed reply, or a function making one; default: a deterministic reply from the input (see `defaultReply`). */
  reply?: string | ((request: CompletionRequest, context: SimulatedReplyContext) => string | Promise<string>)
  /** Injected failures: rates, a scripted sequence, or a function. Default none. */
  faults?: SimulatedFaults
  /** Seeds the jitter and fault draws (not the replies). Default 0. */
  seed?: number
}

/**
 * Counters measured inside `complete` of a simulated endpoint.
 *
 * @example
 * ```ts
 * const endpoint = simulated({ maxConcurrent: 2 })
 * // ... run a pipeline ...
 * endpoint.stats.maxInFlight // at most 2
 * ```
 */
export interface SimulatedStats {
  /** Requests started so far. */
  readonly requests: number
  /** Requests running right now. */
  readonly inFlight: number
  /** Most requests that ran at once. */
  readonly maxInFlight: number
}

/**
 * A simulated endpoint: an `Endpoint` with live `stats`.
 *
 * @example
 * ```ts
 * const endpoint: SimulatedEndpoint = simulated()
 * endpoint.stats.requests // 0
 * ```
 */
export interface SimulatedEndpoint extends Endpoint {
  readonly stats: SimulatedStats
}

/**
 * An endpoint that answers without a network: deterministic replies (the same input gives the same
 * reply), configurable latency with seeded jitter, and injected faults that throw `EndpointError`s
 * like the `openai` endpoint's. The wait honours the abort signal. Usage counts about one token per
 * four characters. The default endpoint of the demo and the tests; needs no key.
 *
 * Order inside a request: pick the fault, wait the latency (a `'hang'` waits until aborted), then
 * throw the fault's error or reply.
 *
 * @example
 * ```ts
 * import { simulated } from 'plait/endpoints'
 * const fast = simulated({ model: 'fast', latencyMs: 20, jitter: 0.1 })
 * const flaky = simulated({ faults: { rate429: 0.2, retryAfterMs: 100 }, seed: 7 }) // retried: 4 attempts by default
 * const paced = simulated({ rpm: 60, burst: 1 }) // one request a second, shared by every run
 * const scripted = simulated({ reply: (request) => request.messages.at(-1)?.content.toUpperCase() ?? '' })
 * ```
 */
export function simulated(options: SimulatedOptions = {}): SimulatedEndpoint {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` of simulated() to be an object, got ${show(options)}`)
  }
  const { model = 'simulated', latencyMs = 0, jitter = 0, maxConcurrent = 64, reply, faults, seed = 0, rpm, tpm, burst, retries, timeoutMs, fallbacks, adaptive } = options
  if (typeof model !== 'string' || model.trim() === '') {
    throw new TypeError(`Expected \`model\` of simulated() to be a non-empty string, got ${show(model)}`)
  }
  const label = `simulated endpoint "${model}"`
  if (typeof latencyMs !== 'function') checkLatency(latencyMs, `\`latencyMs\` of ${label} to be`)
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new TypeError(`Expected \`jitter\` of ${label} to be a fraction from 0 to 1 (0.1 = ±10%), got ${show(jitter)}`)
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new TypeError(`Expected \`seed\` of ${label} to be a finite number, got ${show(seed)}`)
  }
  if (reply !== undefined && typeof reply !== 'string' && typeof reply !== 'function') {
    throw new TypeError(`Expected \`reply\` of ${label} to be a string or a function, got ${show(reply)}`)
  }
  const pickFault = faultPicker(faults, seed, label)
  const random = seededRandom(seed)
  const where = `simulated "${model}"`
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0 }

  const latencyOf = (request: CompletionRequest): number => {
    const base = typeof latencyMs === 'function' ? latencyMs(request) : latencyMs
    if (typeof latencyMs === 'function') checkLatency(base, `\`latencyMs\` of ${label} to return`)
    return jitter === 0 ? base : Math.max(0, base * (1 + jitter * (2 * random() - 1)))
  }

  const endpoint = defineEndpoint({
    kind: 'simulated',
    model,
    maxConcurrent,
    rpm,
    tpm,
    burst,
    retries,
    timeoutMs,
    fallbacks,
    adaptive,
    async complete(request, { signal }) {
      signal.throwIfAborted()
      const index = stats.requests++
      stats.inFlight++
      if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight
      try {
        const fault = pickFault(request, index)
        const delay = latencyOf(request)
        if (fault === 'hang') return await untilAborted(signal)
        await sleep(delay, signal)
        if (fault !== 'ok') throw faultError(fault, where)
        const text = reply === undefined ? defaultReply(model, request) : typeof reply === 'string' ? reply : await reply(request, { model, index, signal })
        if (typeof text !== 'string') {
          throw new TypeError(`Expected \`reply\` of ${label} to return a string, got ${show(text)}`)
        }
        signal.throwIfAborted()
        return { text, model, usage: { promptTokens: promptTokens(request), completionTokens: tokens(text) } }
      } finally {
        stats.inFlight--
      }
    },
  })
  return Object.assign(endpoint, { stats: stats as SimulatedStats })
}

function checkLatency(value: unknown, expectation: string): asserts value is number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected ${expectation} a finite number of milliseconds >= 0, got ${show(value)}`)
  }
}

/** About one token per four characters, at least one for non-empty text. */
function tokens(text: string): number {
  return Math.ceil(text.length / 4)
}

function promptTokens(request: CompletionRequest): number {
  let chars = 0
  for (const message of request.messages) chars += message.content.length
  return Math.ceil(chars / 4)
}
