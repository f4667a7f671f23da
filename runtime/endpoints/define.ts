import {
  EndpointError,
  type CompleteOptions,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type EndpointDescription,
} from '../endpoint.js'
import { estimateTokens, usedTokens } from '../limits/estimate.js'
import { Limiter, type AdmissionOutcome } from '../limits/limiter.js'
import { normalizeLimits, type EndpointLimitOptions } from '../limits/options.js'
import { onAbort } from './abort.js'
import { displayURL } from './redact.js'
import { show } from './show.js'

/**
 * Options of {@link defineEndpoint}.
 *
 * @example
 * ```ts
 * const options: DefineEndpointOptions = {
 *   kind: 'echo',
 *   model: 'echo-1',
 *   complete: async (request) => ({ text: request.messages.at(-1)?.content ?? '', model: 'echo-1' }),
 * }
 * ```
 */
export interface DefineEndpointOptions extends EndpointLimitOptions {
  /** What kind of endpoint this is, shown in graphs and errors (`'openai'`, `'echo'`, ...). */
  kind: string
  /** The model it answers with, shown in graphs and errors. */
  model: string
  /** Where requests go, for display only; credentials and query are stripped. */
  baseURL?: string
  /** Sends one request; must stop when `options.signal` aborts. */
  complete: (request: CompletionRequest, options: CompleteOptions) => Promise<CompletionResult>
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/** Runs `callback` after the I/O of this turn of the event loop (`setImmediate` where there is one). */
const afterIO: (callback: () => void) => void =
  typeof setImmediate === 'function' ? (callback) => void setImmediate(callback) : (callback) => void setTimeout(callback, 0)

/**
 * Makes an endpoint from a `complete` function, with the limits of {@link EndpointLimitOptions}
 * (`maxConcurrent` default 8, `rpm`, `tpm`, `burst`, `retries`, `timeoutMs`, `fallbacks`,
 * `adaptive`). The endpoint owns a limiter that every run, batch item and pipeline sharing the
 * object goes through (`send()` for one request, `schedule()` for any task):
 * - a request waits, holding nothing, until a slot is free and `rpm` / `tpm` allow it; higher
 *   `priority` goes first, then first come;
 * - a request whose signal aborts while waiting leaves the queue, and its promise rejects with
 *   the signal's reason; the limiter's one pacing timer goes once nothing waits;
 * - a request whose signal aborts (or whose `timeoutMs` passes) while running: the promise
 *   rejects at once and the slot is given back (after a timeout, one turn of the event loop
 *   later, so the server has seen the connection close); `complete` must stop when its signal
 *   aborts;
 * - a task run with `schedule()` whose signal aborts while running: the promise rejects at once,
 *   but the task keeps its slot until it settles;
 * - after each request the limiter learns the outcome: a 429 lowers the effective limits
 *   (`adaptive`), a success raises them back, reported usage corrects the `tpm` estimate.
 *
 * Retries and fallbacks are not done here but by the backend (`inProcessBackend`), around `send()`.
 *
 * The object shows only `describe()` when printed, inspected or turned into JSON.
 *
 * @example
 * ```ts
 * import { defineEndpoint } from 'plait/endpoints'
 * const echo = defineEndpoint({
 *   kind: 'echo',
 *   model: 'echo-1',
 *   maxConcurrent: 4,
 *   complete: async (request) => ({ text: request.messages.at(-1)?.content ?? '', model: 'echo-1' }),
 * })
 * ```
 */
export function defineEndpoint(options: DefineEndpointOptions): Endpoint {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` of defineEndpoint() to be an object, got ${options === null ? 'null' : typeof options}`)
  }
  const { kind, model, baseURL, complete } = options
  if (typeof kind !== 'string' || kind.trim() === '') {
    throw new TypeError(`Expected \`kind\` to be a non-empty string, got ${show(kind)}`)
  }
  if (typeof model !== 'string' || model.trim() === '') {
    throw new TypeError(`Expected \`model\` of the ${kind} endpoint to be a non-empty string, got ${show(model)}`)
  }
  const label = `${kind} endpoint "${model}"`
  const limits = normalizeLimits(options, label, 8)
  if (baseURL !== undefined && typeof baseURL !== 'string') {
    throw new TypeError(`Expected \`baseURL\` of the ${label} to be a string, got ${show(baseURL)}`)
  }
  if (typeof complete !== 'function') {
    throw new TypeError(`Expected \`complete\` of the ${label} to be a function, got ${show(complete)}`)
  }

  const description: EndpointDescription = baseURL === undefined ? { kind, model } : { kind, model, baseURL: displayURL(baseURL) }
  const where = `${kind} "${model}"${description.baseURL === undefined ? '' : ` at ${description.baseURL}`}`
  const { maxConcurrent, rpm, tpm, burst, timeoutMs, adaptive } = limits
  const limiter = new Limiter({ maxConcurrent, rpm, tpm, burstRequests: burst?.requests, burstTokens: burst?.tokens, adaptive })

  const check = (result: CompletionResult): CompletionResult => {
    if (typeof result !== 'object' || result === null || typeof result.text !== 'string' || typeof result.model !== 'string') {
      throw new TypeError(`Expected \`complete\` of the ${label} to resolve to { text: string, model: string }, got ${show(result)}`)
    }
    return result
  }

  /**
   * One call of `complete`, with `timeoutMs`. Rejects at once when `signal` aborts or the timeout
   * passes, even if `complete` ignores its signal.
   */
  const attempt = (request: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> => {
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<CompletionResult>((resolve, reject) => {
      let finished = false
      let timer: ReturnType<typeof setTimeout> | undefined
      let controller: AbortController | undefined
      const stop = onAbort(signal, (reason) => {
        if (finished) return
        controller?.abort(reason)
        finish()
        reject(reason)
      })
      const finish = () => {
        finished = true
        if (timer !== undefined) clearTimeout(timer)
        stop()
      }
      if (timeoutMs !== undefined) {
        const timeout = new AbortController()
        controller = timeout
        timer = setTimeout(() => {
          timer = undefined
          // One turn of grace: timers run before I/O in each turn of the event loop, so after a
          // stall a reply may already be waiting in the socket. Let this turn's I/O read it.
          afterIO(() => {
            if (finished) return
            const error = new EndpointError(`${where}: the request timed out after ${timeoutMs}ms (timeoutMs)`, { retryable: true })
            timeout.abort(error)
            finish()
            reject(error)
          })
        }, timeoutMs)
      }
      let inner: Promise<CompletionResult>
      try {
        inner = Promise.resolve(complete(request, { signal: controller === undefined ? signal : controller.signal }))
      } catch (error) {
        inner = Promise.reject(error)
      }
      inner.then(
        (value) => {
          if (finished) return
          let result: CompletionResult
          try {
            result = check(value)
          } catch (error) {
            finish()
            reject(error)
            return
          }
          finish()
          resolve(result)
        },
        (error: unknown) => {
          if (finished) return
          finish()
          reject(error)
        },
      )
    })
  }

  const outcomeOf = (error: unknown): AdmissionOutcome =>
    error instanceof EndpointError && error.status === 429 && error.retryable ? 'rate-limited' : 'failed'

  const checkSignal = (signal: unknown, method: string): string | undefined =>
    signal instanceof AbortSignal ? undefined : `Expected \`options.signal\` of ${label}.${method}() to be an AbortSignal, got ${show(signal)}`
  const checkPriority = (priority: unknown, method: string): string | undefined =>
    priority === undefined || (typeof priority === 'number' && Number.isFinite(priority))
      ? undefined
      : `Expected \`options.priority\` of ${label}.${method}() to be a finite number, got ${show(priority)}`

  const endpoint: Endpoint = {
    isPlaitEndpoint: true,
    limits,
    get effectiveLimits() {
      return limiter.effective
    },
    describe: () => ({ ...description }),
    complete(request, callOptions) {
      const problem = checkSignal(callOptions?.signal, 'complete')
      if (problem !== undefined) return Promise.reject(new TypeError(problem))
      return attempt(request, callOptions.signal)
    },
    async send(request, sendOptions) {
      const signal = sendOptions?.signal
      const problem = checkSignal(signal, 'send') ?? checkPriority(sendOptions.priority, 'send')
      if (problem !== undefined) throw new TypeError(problem)
      if (signal.aborted) throw signal.reason
      const tokens = tpm === undefined ? 0 : estimateTokens(request)
      const admission = limiter.tryAcquire(tokens) ?? (await limiter.acquire(tokens, signal, sendOptions.priority))
      const { onAdmitted } = sendOptions
      if (onAdmitted !== undefined) {
        try {
          onAdmitted(admission)
        } catch (error) {
          limiter.release(admission, 'failed')
          throw error
        }
      }
      // Through the `complete` property, so a wrapped `complete` (endpoint.complete = ...) is used.
      let result: CompletionResult
      try {
        result = await endpoint.complete(request, { signal })
      } catch (error) {
        if (!signal.aborted && error instanceof EndpointError && error.status === undefined && error.retryable) {
          // Timed out or cut off: the server learns that the connection closed a moment after we
          // do. Keep the slot one more turn of the event loop, so that the next request (often
          // this call's own retry) does not reach a server that still counts this one in flight.
          afterIO(() => limiter.release(admission, 'failed'))
        } else {
          limiter.release(admission, outcomeOf(error))
        }
        throw error
      }
      limiter.release(admission, 'ok', usedTokens(result.usage))
      return result
    },
    schedule<T>(task: () => Promise<T>, scheduleOptions: { signal: AbortSignal; priority?: number }): Promise<T> {
      const signal = scheduleOptions?.signal
      const problem = checkSignal(signal, 'schedule') ?? checkPriority(scheduleOptions.priority, 'schedule')
      if (problem !== undefined) return Promise.reject(new TypeError(problem))
      if (typeof task !== 'function') {
        return Promise.reject(new TypeError(`Expected \`task\` of ${label}.schedule() to be a function, got ${show(task)}`))
      }
      if (signal.aborted) return Promise.reject(signal.reason)
      const run = (admission: ReturnType<typeof limiter.tryAcquire> & object): Promise<T> => {
        if (signal.aborted) {
          limiter.release(admission, 'failed')
          return Promise.reject(signal.reason)
        }
        return new Promise<T>((resolve, reject) => {
          // Once running, the slot is held until the task settles; an abort rejects the caller at once.
          const stop = onAbort(signal, reject)
          let promise: Promise<T>
          try {
            promise = Promise.resolve(task())
          } catch (error) {
            promise = Promise.reject(error)
          }
          promise.then(
            (value) => {
              limiter.release(admission, 'ok')
              stop()
              resolve(value)
            },
            (error: unknown) => {
              limiter.release(admission, outcomeOf(error))
              stop()
              reject(error)
            },
          )
        })
      }
      const admission = limiter.tryAcquire(0)
      return admission === undefined ? limiter.acquire(0, signal, scheduleOptions.priority).then(run) : run(admission)
    },
    get load() {
      return { inFlight: limiter.inFlight, queued: limiter.queued }
    },
  }

  Object.defineProperties(endpoint, {
    toJSON: { value: () => endpoint.describe() },
    toString: { value: () => `Endpoint(${kind}:${model})` },
    [inspectSymbol]: {
      value: (_depth: number, inspectOptions: unknown, inspect?: (value: unknown, options?: unknown) => string) => {
        const shown = { ...endpoint.describe(), limits, effectiveLimits: endpoint.effectiveLimits, load: endpoint.load }
        return `Endpoint ${inspect === undefined ? JSON.stringify(shown) : inspect(shown, inspectOptions)}`
      },
    },
  })
  return endpoint
}
