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

/** Limits of one endpoint object. */
export interface EndpointLimits {
  /** Most requests in flight at once, across every run using this endpoint. */
  maxConcurrent: number
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
  readonly limits: EndpointLimits
  describe(): EndpointDescription
  /** Sends one request. Called by the runtime inside the endpoint's limiter, never directly. */
  complete(request: CompletionRequest, options: CompleteOptions): Promise<CompletionResult>
  /**
   * Runs `task` inside this endpoint's limiter: at most `limits.maxConcurrent` tasks run at once;
   * a task whose signal aborts while queued leaves the queue and rejects with the abort reason.
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
  override readonly name = 'EndpointError'
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
