/**
 * One leaf call through an endpoint's limits, with retries and fallbacks: what
 * `inProcessBackend().complete` does. Retries live here, at the leaf call, so a retry repeats
 * one request and never re-runs a finished node.
 */
import type { BackendCallOptions, CallOutcome } from '../backend.js'
import { EndpointError, RetriesExhaustedError, type Admission, type CompletionRequest, type Endpoint, type EndpointDescription, type EndpointFailure, type RetryPolicy, type SendOptions } from '../endpoint.js'
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
export async function completeWithLimits(
  endpoints: Readonly<Record<string, Endpoint>>,
  alias: string,
  request: CompletionRequest,
  options: BackendCallOptions,
): Promise<CallOutcome> {
  const { signal, priority, onEvent } = options
  let endpoint = endpointFor(endpoints, alias)
  const fallbacks = endpoint.limits.fallbacks
  let current = alias
  let description: EndpointDescription = endpoint.describe()
  let attempt = 0
  let attempts = 0
  let queuedMs = 0
  const onAdmitted = (admission: Admission): void => {
    queuedMs += admission.admittedAt - admission.queuedAt
    if (onEvent === undefined) return
    let at = admission.admittedAt - admission.rpmWaitMs - admission.tpmWaitMs
    if (admission.rpmWaitMs > 0) {
      onEvent({ type: 'rate-limit-wait', alias: current, reason: 'rpm', waitMs: admission.rpmWaitMs, at })
      at += admission.rpmWaitMs
    }
    if (admission.tpmWaitMs > 0) onEvent({ type: 'rate-limit-wait', alias: current, reason: 'tpm', waitMs: admission.tpmWaitMs, at })
    onEvent({ type: 'attempt', alias: current, attempt, endpoint: description, at: admission.admittedAt })
  }
  const sendOptions: SendOptions = priority === undefined ? { signal, onAdmitted } : { signal, priority, onAdmitted }
  let failures: EndpointFailure[] | undefined

  for (let step = 0; ; step++) {
    const policy = endpoint.limits.retries
    let failure: EndpointFailure | undefined
    for (attempt = 1; ; attempt++) {
      attempts++
      onEvent?.({ type: 'queued', alias: current, at: performance.now() })
      let result
      try {
        result = await endpoint.send(request, sendOptions)
      } catch (error) {
        if (signal.aborted || !(error instanceof EndpointError) || !error.retryable) {
          onEvent?.({ type: 'end', alias: current, ok: false, at: performance.now() })
          throw signal.aborted ? signal.reason : error
        }
        if (attempt >= policy.attempts) {
          failure = { alias: current, attempts: attempt, error }
          break
        }
        const retryAfterMs = error.retryAfterMs
        if (retryAfterMs !== undefined && retryAfterMs > policy.maxMs) {
          failure = { alias: current, attempts: attempt, error, reason: `the server asked to wait ${retryAfterMs}ms, more than retries.maxMs (${policy.maxMs}ms)` }
          break
        }
        const delayMs = Math.max(retryAfterMs ?? 0, backoffMs(attempt, policy))
        if (onEvent !== undefined) {
          const at = performance.now()
          const status = error.status
          onEvent(
            retryAfterMs === undefined
              ? { type: 'retry', alias: current, attempt, delayMs, status, message: error.message, at }
              : { type: 'retry', alias: current, attempt, delayMs, status, message: error.message, retryAfterMs, at },
          )
        }
        try {
          await sleep(delayMs, signal)
        } catch (reason) {
          onEvent?.({ type: 'end', alias: current, ok: false, at: performance.now() })
          throw reason
        }
        continue
      }
      if (onEvent !== undefined) {
        const at = performance.now()
        onEvent(result.usage ? { type: 'end', alias: current, ok: true, usage: result.usage, at } : { type: 'end', alias: current, ok: true, at })
      }
      return { ...result, endpoint: description, alias: current, attempts, queuedMs }
    }
    ;(failures ??= []).push(failure)
    const next = fallbacks[step]
    if (next === undefined) break
    const previous = current
    endpoint = endpointFor(endpoints, next)
    current = next
    description = endpoint.describe()
    onEvent?.({ type: 'fallback', from: previous, to: next, attempts: failure.attempts, message: failure.reason ?? errorText(failure.error), at: performance.now() })
  }
  onEvent?.({ type: 'end', alias: current, ok: false, at: performance.now() })
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
