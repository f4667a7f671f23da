/**
 * One leaf call through an endpoint's limits, with retries and fallbacks: what
 * `inProcessBackend().complete` does. Retries live here, at the leaf call, so a retry repeats
 * one request and never re-runs a finished node.
 */
import type { BackendCallOptions, CallOutcome } from '../backend.js'
import { EndpointError, RetriesExhaustedError, type Admission, type CompletionRequest, type CompletionResult, type Endpoint, type EndpointDescription, type EndpointFailure, type RetryPolicy, type SendOptions } from '../endpoint.js'
import { sleep } from '../endpoints/sleep.js'

/**
 * The backoff before retry number `retry` (1-based): full jitter, a random delay from 0 to
 * `min(maxMs, baseMs * 2 ** (retry - 1))`.
 *
 * @example
 * ```ts
 * backoffMs(3, { attempts: 4, baseMs: 500, maxMs: 30_000 }) // 0..2000
 * ```
 */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1))
  return Math.round(random() * ceiling)
}

/**
 * Checks that every endpoint's `fallbacks` names another bound alias.
 *
 * @example
 * ```ts
 * checkFallbacks({ main: openai({ model: 'a', fallbacks: ['backup'] }), backup: openai({ model: 'b' }) })
 * ```
 */
export function checkFallbacks(endpoints: Readonly<Record<string, Endpoint>>): void {
  const bound = Object.keys(endpoints)
  for (const alias of bound) {
    const fallbacks = (endpoints[alias] as Partial<Endpoint> | undefined)?.limits?.fallbacks ?? []
    for (const fallback of fallbacks) {
      if (fallback === alias) throw new TypeError(`Expected the \`fallbacks\` of endpoint \`${alias}\` to name other aliases, got \`${alias}\` itself`)
      if (!Object.hasOwn(endpoints, fallback)) {
        throw new TypeError(`Expected fallback \`${fallback}\` of endpoint \`${alias}\` to be bound too; bound aliases: ${bound.join(', ')}`)
      }
    }
  }
}

/**
 * Completes `request` at the endpoint bound to `alias`: each attempt goes through
 * `endpoint.send()` (limits, timeout); retryable failures are retried with backoff per the
 * endpoint's `retries`; when they run out, each of its `fallbacks` is tried in order. Reports
 * every step through `options.onEvent` (see `CallEvent`).
 *
 * Fails with: the abort reason when `options.signal` aborts (no retry); the error itself when it
 * is not retryable (no retry, no fallback); a `RetriesExhaustedError` when every endpoint gave up
 * (the error itself when only one attempt was allowed and there are no fallbacks).
 *
 * @example
 * ```ts
 * const outcome = await completeWithLimits(endpoints, 'fast', request, { signal, onEvent: console.log })
 * outcome.alias // the alias that answered
 * ```
 */
export function completeWithLimits(
  endpoints: Readonly<Record<string, Endpoint>>,
  alias: string,
  request: CompletionRequest,
  options: BackendCallOptions,
): Promise<CallOutcome> {
  let call: LimitedCall
  try {
    call = new LimitedCall(endpoints, alias, request, options)
  } catch (error) {
    return Promise.reject(error)
  }
  // The first attempt without an async function around it: most calls succeed at once, and an
  // async frame holding the retry loop's state costs more than the rest of the call.
  call.attempt = 1
  return call.send().then(
    (result) => call.succeeded(result),
    (error: unknown) => retrying(call, error),
  )
}

/**
 * The rest of a call whose first attempt at `alias` was sent without `completeWithLimits` (by a
 * run straight to the endpoint, see runtime/direct.ts) and failed with `firstError` after
 * `queuedMs` in the limiter: retries and fallbacks as `completeWithLimits` would make them.
 *
 * @example
 * ```ts
 * const outcome = await resumeWithLimits(endpoints, 'fast', request, { signal }, error, 0)
 * ```
 */
export function resumeWithLimits(
  endpoints: Readonly<Record<string, Endpoint>>,
  alias: string,
  request: CompletionRequest,
  options: BackendCallOptions,
  firstError: unknown,
  queuedMs: number,
): Promise<CallOutcome> {
  const call = new LimitedCall(endpoints, alias, request, options)
  call.attempt = 1
  call.attempts = 1
  call.queuedMs = queuedMs
  return retrying(call, firstError)
}

/**
 * What a backend reports for `result`, answered by `alias` (described by `endpoint`) after
 * `attempts` attempts and `queuedMs` in the limiters.
 *
 * @example
 * ```ts
 * const outcome = outcomeFrom(result, endpoint.describe(), 'fast', 1, 0)
 * ```
 */
export function outcomeFrom(result: CompletionResult, endpoint: EndpointDescription, alias: string, attempts: number, queuedMs: number): CallOutcome {
  // Not `{ ...result, endpoint, ... }`: on V8 a spread followed by more properties is slow (≈ 1 µs each).
  const outcome = copyOwn(result) as unknown as CallOutcome
  outcome.endpoint = endpoint
  outcome.alias = alias
  outcome.attempts = attempts
  outcome.queuedMs = queuedMs
  return outcome
}

/** The state of one call across attempts and fallbacks. */
class LimitedCall {
  // Fields set in the constructor, not by initializers (one function call less per call while
  // this code runs unoptimized).
  declare readonly endpoints: Readonly<Record<string, Endpoint>>
  declare readonly request: CompletionRequest
  declare readonly options: BackendCallOptions
  declare endpoint: Endpoint
  /** The alias being tried (a fallback's, after falling back). */
  declare current: string
  declare description: EndpointDescription
  /** The attempt at the current endpoint, from 1. */
  declare attempt: number
  /** Attempts over all endpoints. */
  declare attempts: number
  declare queuedMs: number
  declare readonly sendOptions: SendOptions

  constructor(endpoints: Readonly<Record<string, Endpoint>>, alias: string, request: CompletionRequest, options: BackendCallOptions) {
    this.endpoints = endpoints
    this.request = request
    this.options = options
    this.attempt = 0
    this.attempts = 0
    this.queuedMs = 0
    this.endpoint = endpointFor(endpoints, alias)
    this.current = alias
    this.description = this.endpoint.describe()
    const { signal, priority } = options
    const onAdmitted = admissionListener(this)
    this.sendOptions = priority === undefined ? { signal, onAdmitted } : { signal, priority, onAdmitted }
  }

  /** One attempt at the current endpoint; a synchronous throw becomes a rejection. */
  send(): Promise<CompletionResult> {
    this.attempts++
    this.options.onEvent?.({ type: 'queued', alias: this.current, at: performance.now() })
    try {
      return this.endpoint.send(this.request, this.sendOptions)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  admitted(admission: Admission): void {
    this.queuedMs += admission.admittedAt - admission.queuedAt
    const { onEvent } = this.options
    if (onEvent === undefined) return
    let at = admission.admittedAt - admission.rpmWaitMs - admission.tpmWaitMs
    if (admission.rpmWaitMs > 0) {
      onEvent({ type: 'rate-limit-wait', alias: this.current, reason: 'rpm', waitMs: admission.rpmWaitMs, at })
      at += admission.rpmWaitMs
    }
    if (admission.tpmWaitMs > 0) onEvent({ type: 'rate-limit-wait', alias: this.current, reason: 'tpm', waitMs: admission.tpmWaitMs, at })
    onEvent({ type: 'attempt', alias: this.current, attempt: this.attempt, endpoint: this.description, at: admission.admittedAt })
  }

  succeeded(result: CompletionResult): CallOutcome {
    const { onEvent } = this.options
    if (onEvent !== undefined) {
      const at = performance.now()
      onEvent(result.usage ? { type: 'end', alias: this.current, ok: true, usage: result.usage, at } : { type: 'end', alias: this.current, ok: true, at })
    }
    return outcomeFrom(result, this.description, this.current, this.attempts, this.queuedMs)
  }

  /** Reports the end of a call that failed. */
  ended(): void {
    this.options.onEvent?.({ type: 'end', alias: this.current, ok: false, at: performance.now() })
  }
}

/** A copy of `source`'s own enumerable properties, in order, in an object that takes more cheaply. */
function copyOwn(source: object): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const key in source) if (Object.hasOwn(source, key)) copy[key] = (source as Record<string, unknown>)[key]
  return copy
}

/** The `onAdmitted` of a call's attempts (an anonymous closure: see `newTargetFunction` in runtime/future.ts). */
function admissionListener(call: LimitedCall): (admission: Admission) => void {
  return (admission) => call.admitted(admission)
}

/**
 * The rest of a call whose first attempt failed with `firstError`: retries with backoff per the
 * endpoint's policy, then its fallbacks in order.
 */
async function retrying(call: LimitedCall, firstError: unknown): Promise<CallOutcome> {
  const { signal, onEvent } = call.options
  const fallbacks = call.endpoint.limits.fallbacks
  let failures: EndpointFailure[] | undefined

  for (let step = 0; ; step++) {
    const policy = call.endpoint.limits.retries
    let failure: EndpointFailure | undefined
    for (let attempt = 1; ; attempt++) {
      call.attempt = attempt
      let error: unknown
      if (step === 0 && attempt === 1) error = firstError
      else {
        let sent = false
        let result!: CompletionResult
        try {
          result = await call.send()
          sent = true
        } catch (caught) {
          error = caught
        }
        if (sent) return call.succeeded(result)
      }
      if (signal.aborted || !(error instanceof EndpointError) || !error.retryable) {
        call.ended()
        throw signal.aborted ? signal.reason : error
      }
      if (attempt >= policy.attempts) {
        failure = { alias: call.current, attempts: attempt, error }
        break
      }
      const retryAfterMs = error.retryAfterMs
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxMs) {
        failure = { alias: call.current, attempts: attempt, error, reason: `the server asked to wait ${retryAfterMs}ms, more than retries.maxMs (${policy.maxMs}ms)` }
        break
      }
      const delayMs = Math.max(retryAfterMs ?? 0, backoffMs(attempt, policy))
      if (onEvent !== undefined) {
        const at = performance.now()
        const status = error.status
        onEvent(
          retryAfterMs === undefined
            ? { type: 'retry', alias: call.current, attempt, delayMs, status, message: error.message, at }
            : { type: 'retry', alias: call.current, attempt, delayMs, status, message: error.message, retryAfterMs, at },
        )
      }
      try {
        await sleep(delayMs, signal)
      } catch (reason) {
        call.ended()
        throw reason
      }
    }
    ;(failures ??= []).push(failure)
    const next = fallbacks[step]
    if (next === undefined) break
    const previous = call.current
    call.endpoint = endpointFor(call.endpoints, next)
    call.current = next
    call.description = call.endpoint.describe()
    onEvent?.({ type: 'fallback', from: previous, to: next, attempts: failure.attempts, message: failure.reason ?? errorText(failure.error), at: performance.now() })
  }
  call.ended()
  const only = failures[0]!
  // Nothing was retried and nothing else tried: the error as it came.
  if (failures.length === 1 && only.attempts === 1 && only.reason === undefined) throw only.error
  throw new RetriesExhaustedError(failures)
}

function endpointFor(endpoints: Readonly<Record<string, Endpoint>>, alias: string): Endpoint {
  const endpoint = Object.hasOwn(endpoints, alias) ? endpoints[alias] : undefined
  if (!endpoint) throw new TypeError(`Expected an endpoint for alias \`${alias}\`; bound aliases: ${Object.keys(endpoints).join(', ') || 'none'}.`)
  return endpoint
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
