import {
  EndpointError,
  type CompleteOptions,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type EndpointDescription,
  type SendOptions,
} from '../endpoint.js'
import { estimateTokens, usedTokens } from '../limits/estimate.js'
import { Limiter, type AdmissionOutcome, type LimiterAdmission } from '../limits/limiter.js'
import { normalizeLimits, type EndpointLimitOptions } from '../limits/options.js'
import { onAbort, watchAbort, type AbortWatcher } from './abort.js'
import type { RequestSignal } from './request-signal.js'
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

/**
 * The request of a direct call (runtime/direct.ts): the stand-in `AbortSignal` its run aborts, told
 * once of the reply or the failure.
 *
 * @example
 * ```ts
 * client.chat.completions.create(body, { signal: call.asSignal() }).then((completion) => call.replied(resultOf(completion)), (error) => call.failed(error))
 * ```
 */
export interface DirectRequest extends RequestSignal {
  replied(result: CompletionResult): void
  failed(error: unknown): void
}

/**
 * Where an endpoint's maker passes its own way of sending a direct call's request (an internal
 * option of `defineEndpoint`; `openai()` passes one: the SDK takes the request as its signal, so
 * the request needs no signal of its own that follows the run's).
 *
 * @example
 * ```ts
 * defineEndpoint({ kind, model, complete, [directSendKey]: (request, call) => send(request, call) })
 * ```
 */
export const directSendKey = Symbol('plait.directSend')

/** What an endpoint passes as its {@link directSendKey} option. */
export type DirectSend = (request: CompletionRequest, call: DirectRequest) => void

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/** Where an endpoint keeps its limiter, for the getters of `endpointPrototype`. */
const limiterKey = Symbol('plait.limiter')
/** Where an endpoint keeps what its requests share (see `requestCoreOf`). */
const coreKey = Symbol('plait.requestCore')

type WithLimiter = Endpoint & { [limiterKey]: Limiter }

/**
 * What every endpoint made here shares: the live limits and load, and how it prints (only
 * `describe()`, its limits and load: never its options).
 */
const endpointPrototype: object = Object.defineProperties(
  {},
  {
    effectiveLimits: {
      get(this: WithLimiter) {
        return this[limiterKey].effective
      },
      configurable: true,
    },
    load: {
      get(this: WithLimiter) {
        const limiter = this[limiterKey]
        return { inFlight: limiter.inFlight, queued: limiter.queued }
      },
      configurable: true,
    },
    toJSON: {
      value(this: Endpoint) {
        return this.describe()
      },
    },
    toString: {
      value(this: Endpoint) {
        const { kind, model } = this.describe()
        return `Endpoint(${kind}:${model})`
      },
    },
    [inspectSymbol]: {
      value(this: Endpoint, _depth: number, inspectOptions: unknown, inspect?: (value: unknown, options?: unknown) => string) {
        const shown = { ...this.describe(), limits: this.limits, effectiveLimits: this.effectiveLimits, load: this.load }
        return `Endpoint ${inspect === undefined ? JSON.stringify(shown) : inspect(shown, inspectOptions)}`
      },
    },
  },
)

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

  // One frozen object: every call's outcome and records show it, and nobody may change it.
  const description: EndpointDescription = Object.freeze(baseURL === undefined ? { kind, model } : { kind, model, baseURL: displayURL(baseURL) })
  const where = `${kind} "${model}"${description.baseURL === undefined ? '' : ` at ${description.baseURL}`}`
  const { maxConcurrent, rpm, tpm, burst, timeoutMs, adaptive } = limits
  const limiter = new Limiter({ maxConcurrent, rpm, tpm, burstRequests: burst?.requests, burstTokens: burst?.tokens, adaptive })

  const directSend = (options as { [directSendKey]?: DirectSend })[directSendKey]
  const core: RequestCore = { complete, directSend, label, where, timeoutMs, tpm, limiter, ownComplete: undefined! }
  const checkSignal = (signal: unknown, method: string): string | undefined =>
    signal instanceof AbortSignal ? undefined : `Expected \`options.signal\` of ${label}.${method}() to be an AbortSignal, got ${show(signal)}`
  const checkPriority = (priority: unknown, method: string): string | undefined =>
    priority === undefined || (typeof priority === 'number' && Number.isFinite(priority))
      ? undefined
      : `Expected \`options.priority\` of ${label}.${method}() to be a finite number, got ${show(priority)}`

  // Its getters and printing live on a shared prototype: accessors of its own (one closure each
  // per endpoint) would put the object in V8's slow dictionary mode, and every call reads it.
  const endpoint = {
    __proto__: endpointPrototype,
    isPlaitEndpoint: true,
    limits,
    describe: () => description,
    complete(request, callOptions) {
      const problem = checkSignal(callOptions?.signal, 'complete')
      if (problem !== undefined) return Promise.reject(new TypeError(problem))
      return startRequest(core, request, callOptions.signal, undefined)
    },
    send(request, sendOptions) {
      // Not an async function: a request admitted at once is one promise (see `PendingRequest`).
      try {
        const signal = sendOptions?.signal
        const problem = checkSignal(signal, 'send') ?? checkPriority(sendOptions.priority, 'send')
        if (problem !== undefined) return Promise.reject(new TypeError(problem))
        if (signal.aborted) return Promise.reject(signal.reason)
        const tokens = tpm === undefined ? 0 : estimateTokens(request)
        const admission = limiter.tryAcquire(tokens)
        if (admission !== undefined) return sendAdmitted(request, sendOptions, admission)
        return limiter.acquire(tokens, signal, sendOptions.priority).then((admitted) => sendAdmitted(request, sendOptions, admitted))
      } catch (error) {
        return Promise.reject(error)
      }
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
  } as Omit<Endpoint, 'effectiveLimits' | 'load'> as Endpoint

  const ownComplete = endpoint.complete
  core.ownComplete = ownComplete

  /** Sends `request` with its slot taken: tells `onAdmitted`, then completes it and gives the slot back. */
  const sendAdmitted = (request: CompletionRequest, sendOptions: SendOptions, admission: LimiterAdmission): Promise<CompletionResult> => {
    const { onAdmitted, signal } = sendOptions
    if (onAdmitted !== undefined) {
      try {
        onAdmitted(admission)
      } catch (error) {
        limiter.release(admission, 'failed')
        return Promise.reject(error)
      }
    }
    if (endpoint.complete === ownComplete) return startRequest(core, request, signal, admission)
    // A wrapped `complete` (endpoint.complete = ...): through the property, then give the slot back.
    let result: Promise<CompletionResult>
    try {
      result = Promise.resolve(endpoint.complete(request, { signal }))
    } catch (error) {
      result = Promise.reject(error)
    }
    return result.then(
      (value) => {
        limiter.release(admission, 'ok', usedTokens(value?.usage))
        return value
      },
      (error: unknown) => {
        releaseFailed(limiter, admission, signal, error)
        throw error
      },
    )
  }

  Object.defineProperty(endpoint, limiterKey, { value: limiter })
  Object.defineProperty(endpoint, coreKey, { value: core })
  return endpoint
}

/** What the requests of one endpoint share. */
export interface RequestCore {
  readonly complete: DefineEndpointOptions['complete']
  /** How a direct call's request is sent, when the endpoint has a way of its own (see {@link directSendKey}). */
  readonly directSend: DirectSend | undefined
  readonly label: string
  readonly where: string
  readonly timeoutMs: number | undefined
  readonly tpm: number | undefined
  readonly limiter: Limiter
  /** The endpoint's own `complete` method, to tell when a user has replaced it. */
  ownComplete: Endpoint['complete']
}

/**
 * What a run needs to send requests to `endpoint` itself (see runtime/direct.ts): its limiter and
 * `complete`. `undefined` when the endpoint was not made by `defineEndpoint`, when its `complete`
 * was replaced (`endpoint.complete = ...`) or when it has `timeoutMs`: those go through `send()`.
 *
 * @example
 * ```ts
 * const core = requestCoreOf(endpoint)
 * const admission = core?.limiter.tryAcquire(0)
 * ```
 */
export function requestCoreOf(endpoint: Endpoint): RequestCore | undefined {
  const core = (endpoint as Partial<Record<typeof coreKey, RequestCore>>)[coreKey]
  if (core === undefined || core.timeoutMs !== undefined || endpoint.complete !== core.ownComplete) return undefined
  return core
}

/**
 * Why `value` is not what `complete` must resolve to (`{ text: string, model: string }`), if it is not.
 *
 * @example
 * ```ts
 * const problem = resultProblem(core, value)
 * if (problem) throw problem
 * ```
 */
export function resultProblem(core: RequestCore, value: unknown): TypeError | undefined {
  const result = value as Partial<CompletionResult> | null
  if (typeof result === 'object' && result !== null && typeof result.text === 'string' && typeof result.model === 'string') return undefined
  return new TypeError(`Expected \`complete\` of the ${core.label} to resolve to { text: string, model: string }, got ${show(value)}`)
}

const outcomeOf = (error: unknown): AdmissionOutcome => (error instanceof EndpointError && error.status === 429 && error.retryable ? 'rate-limited' : 'failed')

/**
 * Gives back the slot of a request that failed with `error` (its signal `signal`).
 *
 * @example
 * ```ts
 * releaseFailed(limiter, admission, signal, error)
 * ```
 */
export function releaseFailed(limiter: Limiter, admission: LimiterAdmission, signal: AbortSignal, error: unknown): void {
  if (!signal.aborted && error instanceof EndpointError && error.status === undefined && error.retryable) {
    // Timed out or cut off: the server learns that the connection closed a moment after we
    // do. Keep the slot one more turn of the event loop, so that the next request (often
    // this call's own retry) does not reach a server that still counts this one in flight.
    afterIO(() => limiter.release(admission, 'failed'))
  } else {
    limiter.release(admission, outcomeOf(error))
  }
}

const unset = (): void => {}

/**
 * One call of `complete`, with `timeoutMs`, and (for `send()`) the slot it holds. Its promise
 * rejects at once when the signal aborts or the timeout passes, even if `complete` ignores its
 * signal. One object per request holds the state; it waits for the abort as an `AbortWatcher`.
 */
class PendingRequest implements AbortWatcher {
  // Fields set in the constructor, not by initializers: a class with field initializers calls
  // one more function per object, which counts while this code runs unoptimized (S4 in bench/).
  declare readonly core: RequestCore
  declare readonly signal: AbortSignal
  declare readonly admission: LimiterAdmission | undefined
  declare finished: boolean
  declare watching: Set<unknown> | undefined
  declare timer: ReturnType<typeof setTimeout> | undefined
  declare controller: AbortController | undefined
  declare resolve: (result: CompletionResult) => void
  declare reject: (error: unknown) => void

  constructor(core: RequestCore, signal: AbortSignal, admission: LimiterAdmission | undefined) {
    this.core = core
    this.signal = signal
    this.admission = admission
    this.finished = false
    this.watching = undefined
    this.timer = undefined
    this.controller = undefined
    this.resolve = unset
    this.reject = unset
  }

  start(request: CompletionRequest): void {
    this.watching = watchAbort(this.signal, this)
    if (this.finished) return
    const { timeoutMs } = this.core
    if (timeoutMs !== undefined) {
      this.controller = new AbortController()
      this.timer = setTimeout(timerFor(this), timeoutMs)
    }
    let inner: Promise<CompletionResult>
    try {
      const signal = this.controller !== undefined ? this.controller.signal : this.signal
      inner = Promise.resolve(this.core.complete(request, { signal }))
    } catch (error) {
      inner = Promise.reject(error)
    }
    inner.then(
      (value) => this.settle(value),
      (error: unknown) => {
        if (!this.finished) this.fail(error)
      },
    )
  }

  aborted(reason: unknown): void {
    if (this.finished) return
    this.controller?.abort(reason)
    this.fail(reason)
  }

  timedOut(): void {
    this.timer = undefined
    // One turn of grace: timers run before I/O in each turn of the event loop, so after a
    // stall a reply may already be waiting in the socket. Let this turn's I/O read it.
    afterIO(() => {
      if (this.finished) return
      const error = new EndpointError(`${this.core.where}: the request timed out after ${this.core.timeoutMs}ms (timeoutMs)`, { retryable: true })
      this.controller!.abort(error)
      this.fail(error)
    })
  }

  settle(value: CompletionResult): void {
    if (this.finished) return
    const problem = resultProblem(this.core, value)
    if (problem !== undefined) {
      this.fail(problem)
      return
    }
    this.finish()
    if (this.admission !== undefined) this.core.limiter.release(this.admission, 'ok', usedTokens(value.usage))
    this.resolve(value)
  }

  fail(error: unknown): void {
    this.finish()
    if (this.admission !== undefined) releaseFailed(this.core.limiter, this.admission, this.signal, error)
    this.reject(error)
  }

  private finish(): void {
    this.finished = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.watching?.delete(this)
    this.watching = undefined
  }
}

/** The timeout callback of `request` (an anonymous closure: see `newTargetFunction` in runtime/future.ts). */
function timerFor(request: PendingRequest): () => void {
  return () => request.timedOut()
}

/** Starts one request (see `PendingRequest`); `admission` is the slot it gives back when it settles. */
function startRequest(core: RequestCore, request: CompletionRequest, signal: AbortSignal, admission: LimiterAdmission | undefined): Promise<CompletionResult> {
  const pending = new PendingRequest(core, signal, admission)
  const promise = new Promise<CompletionResult>((resolve, reject) => {
    pending.resolve = resolve
    pending.reject = reject
  })
  pending.start(request)
  return promise
}
