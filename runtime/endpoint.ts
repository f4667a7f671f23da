/**
 * The contract between the runtime and the things that answer LLM calls. An endpoint turns one
 * chat request into one reply; the runtime wraps every call in the endpoint's own limiter, so the
 * limits hold across every run, batch item and pipeline that shares the endpoint object.
 */

/** One chat message, as in the OpenAI chat completions API (text content only). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** How the reply must be shaped. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown> }

/** What the runtime asks an endpoint for. */
export interface CompletionRequest {
  messages: ChatMessage[]
  temperature?: number
  maxTokens?: number
  responseFormat?: ResponseFormat
  /** Further request options passed through unchanged (`top_p`, `seed`, `stop`, ...). */
  options?: Record<string, unknown>
}

/** Token counts of one reply, when the endpoint reports them. */
export interface Usage {
  promptTokens: number
  completionTokens: number
}

/** What an endpoint answers. */
export interface CompletionResult {
  text: string
  /** The model that answered, as the endpoint reports it. */
  model: string
  usage?: Usage
}

/** Options of one call to an endpoint. */
export interface CompleteOptions {
  /** Aborted when the run fails or the caller aborts: the request must stop. */
  signal: AbortSignal
}

/** What may be shown about an endpoint in graphs, records and errors: never a secret. */
export interface EndpointDescription {
  kind: string
  model: string
  baseURL?: string
}

/**
 * How an endpoint retries failed attempts (see `RetryOptions`): `attempts` in all, the first one
 * included; backoff with full jitter from `baseMs`, doubling, at most `maxMs`.
 */
export interface RetryPolicy {
  attempts: number
  baseMs: number
  maxMs: number
}

/**
 * The configured limits of one endpoint object (frozen), with defaults filled in. Options not set
 * are absent. The limits in force right now, after adaptive backoff, are `endpoint.effectiveLimits`.
 *
 * @example
 * ```ts
 * simulated({ rpm: 60 }).limits
 * // { maxConcurrent: 64, rpm: 60, burst: { requests: 1 }, retries: { attempts: 4, baseMs: 500, maxMs: 30000 }, fallbacks: [], adaptive: true }
 * ```
 */
export interface EndpointLimits {
  /** Most requests in flight at once, across every run using this endpoint. */
  maxConcurrent: number
  /** Requests per minute, when limited. */
  rpm?: number
  /** Tokens per minute, when limited. */
  tpm?: number
  /** Capacity of the rate buckets (present when `rpm` or `tpm` is). */
  burst?: { requests?: number; tokens?: number }
  retries: RetryPolicy
  /** Per-attempt timeout in milliseconds, when set. */
  timeoutMs?: number
  /** Aliases tried in order when this endpoint's attempts are used up. */
  fallbacks: readonly string[]
  /** Whether 429s lower the effective limits (AIMD). */
  adaptive: boolean
}

/**
 * The limits in force right now: the configured ones, lowered after 429s when `adaptive` is on,
 * recovering on success.
 *
 * @example
 * ```ts
 * endpoint.effectiveLimits // { maxConcurrent: 4, rpm: 250 } after one 429 at maxConcurrent 8, rpm 500
 * ```
 */
export interface EffectiveLimits {
  maxConcurrent: number
  rpm?: number
  tpm?: number
}

/**
 * When a request sent with `endpoint.send()` was admitted by the endpoint's limiter.
 *
 * @example
 * ```ts
 * endpoint.send(request, { signal, onAdmitted: (admission) => console.log(admission.admittedAt - admission.queuedAt) })
 * ```
 */
export interface Admission {
  /** `performance.now()` when the request asked for admission, and when it got it. */
  readonly queuedAt: number
  readonly admittedAt: number
  /** Milliseconds the request was held back by `rpm` / `tpm` while a slot was free. */
  readonly rpmWaitMs: number
  readonly tpmWaitMs: number
}

/** Options of `endpoint.send()`. */
export interface SendOptions {
  /** Aborts the wait or the request; the promise rejects with the signal's reason. */
  signal: AbortSignal
  /** Higher is admitted first when the endpoint is contended. Default 0. */
  priority?: number
  /** Called once the limiter admits the request, just before it is sent. */
  onAdmitted?: (admission: Admission) => void
}

/**
 * Something that answers chat requests: `openai()`, `simulated()`, or your own.
 *
 * @example
 * ```ts
 * import { defineEndpoint } from 'plait/endpoints'
 * const echo = defineEndpoint({
 *   kind: 'echo',
 *   model: 'echo-1',
 *   maxConcurrent: 4,
 *   complete: async (request) => ({ text: request.messages.at(-1)!.content, model: 'echo-1' }),
 * })
 * ```
 */
export interface Endpoint {
  /** Marks endpoint objects, so a wrong value in `bind({ endpoints })` is caught early. */
  readonly isPlaitEndpoint: true
  /** The configured limits (frozen). */
  readonly limits: EndpointLimits
  /** The limits in force now, after adaptive backoff. */
  readonly effectiveLimits: EffectiveLimits
  describe(): EndpointDescription
  /**
   * Sends one request as it is, outside the limiter (with `timeoutMs` applied). Backends use
   * `send()`; call this directly only to test an endpoint.
   */
  complete(request: CompletionRequest, options: CompleteOptions): Promise<CompletionResult>
  /**
   * One attempt through the endpoint's limits: waits (abortably, holding nothing) until a slot
   * is free and `rpm` / `tpm` allow it, sends with `timeoutMs`, then reports the outcome to the
   * adaptive limits and corrects the `tpm` estimate with the usage. Never retries: the backend
   * does.
   */
  send(request: CompletionRequest, options: SendOptions): Promise<CompletionResult>
  /**
   * Runs `task` inside this endpoint's limiter as one request: at most `limits.maxConcurrent`
   * tasks run at once, paced by `rpm`; a task whose signal aborts while queued leaves the queue
   * and rejects with the abort reason.
   */
  schedule<T>(task: () => Promise<T>, options: { signal: AbortSignal; priority?: number }): Promise<T>
  /** Requests in flight and waiting right now. */
  readonly load: { inFlight: number; queued: number }
}

/**
 * An error from an endpoint, with what the runtime needs to decide on a retry.
 * Never carries request headers or keys.
 */
export class EndpointError extends Error {
  override readonly name: string = 'EndpointError'
  /** HTTP status, when there was one. */
  readonly status: number | undefined
  /** Whether another attempt may succeed (429, 5xx, timeouts, connection errors). */
  readonly retryable: boolean
  /** How long the server asked to wait, from `retry-after-ms` or `retry-after`. */
  readonly retryAfterMs: number | undefined

  constructor(
    message: string,
    options: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.status = options.status
    this.retryable = options.retryable ?? (options.status === undefined || options.status === 429 || options.status >= 500)
    this.retryAfterMs = options.retryAfterMs
  }
}

/** What one endpoint of a call did before the call gave up on it. */
export interface EndpointFailure {
  alias: string
  attempts: number
  /** The last error at this endpoint. */
  error: unknown
  /** Why it stopped before its attempts were used up, when it did. */
  reason?: string
}

/**
 * A call gave up: every attempt at the endpoint (and at each of its `fallbacks`) failed with a
 * retryable error, or a server asked to wait longer than `retries.maxMs`. The message says how
 * many attempts were made where, and ends with the last error, e.g.
 * `gave up after 4 attempts at \`main\`: openai "gpt-4o" at https://…: 429 Rate limit reached`.
 * `cause` is the last error; `failures` has the last error per endpoint; `status`,
 * `retryable` and `retryAfterMs` are the last error's.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof NodeError && error.cause instanceof RetriesExhaustedError) console.log(error.cause.attempts)
 * }
 * ```
 */
export class RetriesExhaustedError extends EndpointError {
  override readonly name: string = 'RetriesExhaustedError'
  /** Attempts made in all, across the endpoint and its fallbacks. */
  readonly attempts: number
  readonly failures: readonly EndpointFailure[]

  constructor(failures: readonly EndpointFailure[]) {
    const last = failures.at(-1)?.error
    const parts = failures.map(
      ({ alias, attempts, reason }, index) =>
        `${attempts} ${attempts === 1 ? 'attempt' : 'attempts'} at ${index === 0 ? '' : 'fallback '}\`${alias}\`${reason === undefined ? '' : ` (${reason})`}`,
    )
    const cause = last instanceof Error ? last.message : String(last)
    super(`gave up after ${parts.join(', then ')}: ${cause}`, {
      ...(last instanceof EndpointError
        ? { retryable: last.retryable, ...(last.status === undefined ? {} : { status: last.status }), ...(last.retryAfterMs === undefined ? {} : { retryAfterMs: last.retryAfterMs }) }
        : { retryable: false }),
      cause: last,
    })
    this.attempts = failures.reduce((sum, failure) => sum + failure.attempts, 0)
    this.failures = failures
  }
}
