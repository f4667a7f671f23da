import { EndpointError } from '../endpoint.js'
import { isRetryableStatus } from './http-status.js'
import { parseRetryAfter } from './retry-after.js'

type OpenAISDK = typeof import('openai')

/** What {@link toEndpointError} needs to know about the call that failed. */
export interface ErrorContext {
  /** The SDK module, for its error classes. */
  sdk: OpenAISDK
  /** The caller's signal: once aborted, every failure is the abort. */
  signal: AbortSignal
  /** Prefix naming the endpoint, e.g. `openai "gpt-4o-mini" at https://api.openai.com/v1`. */
  where: string
  /** Removes secrets from text. */
  redact: (text: string) => string
  /** The per-request timeout, for the message. */
  timeoutMs: number | undefined
}

/**
 * What a failed SDK call becomes:
 * - the caller aborted: the signal's reason (an `AbortError` unless the caller gave another), never
 *   an `EndpointError`, so it is not retried;
 * - an HTTP error: an `EndpointError` with `status`, `retryAfterMs` from `retry-after-ms` /
 *   `retry-after`, and `retryable` for 408, 409, 429 and 5xx (the server's `x-should-retry` wins;
 *   a 429 with code `insufficient_quota` is not retryable);
 * - a timeout or connection error: a retryable `EndpointError` without status;
 * - anything else: a non-retryable `EndpointError`.
 *
 * The message is redacted, and the SDK error is not kept as `cause` (its body may echo headers):
 * only a redacted copy of a connection error's cause is.
 *
 * @example
 * ```ts
 * try { await client.chat.completions.create(body, { signal }) }
 * catch (error) { throw toEndpointError(error, { sdk, signal, where, redact, timeoutMs }) }
 * ```
 */
export function toEndpointError(error: unknown, context: ErrorContext): unknown {
  const { sdk, signal, where, redact } = context
  if (signal.aborted) return signal.reason
  if (error instanceof sdk.APIUserAbortError) {
    return new EndpointError(`${where}: the request was aborted`, { retryable: true })
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    const after = context.timeoutMs === undefined ? '' : ` after ${context.timeoutMs}ms`
    return new EndpointError(`${where}: the request timed out${after}`, { retryable: true })
  }
  if (error instanceof sdk.APIConnectionError) {
    const cause = redactedCause(error.cause, redact)
    const detail = cause === undefined ? '' : ` (${cause.message})`
    return new EndpointError(`${where}: ${redact(error.message)}${detail}`, { retryable: true, cause })
  }
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    const status = error.status
    const headers = error.headers
    const shouldRetry = headers?.get('x-should-retry')
    // A 429 for an exhausted quota or billing limit fails again however long one waits.
    const retryable =
      error.code === 'insufficient_quota' || error.code === 'billing_hard_limit_reached'
        ? false
        : shouldRetry === 'true'
          ? true
          : shouldRetry === 'false'
            ? false
            : isRetryableStatus(status)
    const retryAfterMs = parseRetryAfter(headers)
    const options = retryAfterMs === undefined ? { status, retryable } : { status, retryable, retryAfterMs }
    return new EndpointError(`${where}: ${redact(error.message)}`, options)
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new EndpointError(`${where}: ${redact(message)}`, { retryable: false })
}

/**
 * One error standing for a cause chain (`fetch failed: connect ECONNREFUSED 127.0.0.1:1`), with
 * only redacted messages, the outer name and the innermost `code`.
 */
function redactedCause(cause: unknown, redact: (text: string) => string): Error | undefined {
  if (!(cause instanceof Error)) return undefined
  const messages: string[] = []
  let code: string | undefined
  let current: unknown = cause
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message !== '' && !messages.includes(current.message)) messages.push(current.message)
    const currentCode = (current as { code?: unknown }).code
    if (typeof currentCode === 'string') code = currentCode
    current = current.cause
  }
  const copy = new Error(redact(messages.join(': ')))
  copy.name = cause.name
  if (code !== undefined) Object.assign(copy, { code })
  copy.stack = `${copy.name}: ${copy.message}`
  return copy
}
