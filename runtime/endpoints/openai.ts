import type { ClientOptions, OpenAI as OpenAIClient } from 'openai'
import { EndpointError, type CompletionRequest, type CompletionResult, type Endpoint } from '../endpoint.js'
import { resolveApiKey } from './api-key.js'
import type { EndpointLimitOptions } from '../limits/options.js'
import { defineEndpoint, directSendKey, type DefineEndpointOptions, type DirectRequest, type DirectSend } from './define.js'
import { toEndpointError } from './openai-errors.js'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { fromChatCompletion, toChatCompletionBody } from './openai-request.js'
import { RequestSignal } from './request-signal.js'
import { createRedactor, displayURL, secretHeaderValues } from './redact.js'
import { show } from './show.js'

/**
 * Where requests go when neither `baseURL` nor `OPENAI_BASE_URL` says otherwise.
 *
 * @example
 * ```ts
 * openai({ model: 'gpt-4o-mini' }).describe().baseURL === OPENAI_DEFAULT_BASE_URL // without OPENAI_BASE_URL
 * ```
 */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1'

/** SDK client options that plait sets itself (`maxRetries` is always 0: plait retries). */
type ManagedClientOptions =
  | 'apiKey'
  | 'baseURL'
  | 'organization'
  | 'project'
  | 'maxRetries'
  | 'timeout'
  | 'defaultHeaders'
  | 'adminAPIKey'
  | 'webhookSecret'
  | 'workloadIdentity'

/**
 * Options of {@link openai}: the connection, and the endpoint's limits ({@link EndpointLimitOptions}:
 * `maxConcurrent` default 8, `rpm`, `tpm`, `burst`, `retries` default 4 attempts, `timeoutMs`,
 * `fallbacks`, `adaptive`). Other `openai` SDK client options (`fetch`, `fetchOptions`,
 * `defaultQuery`, `logLevel`, `logger`, ...) are passed to the client unchanged.
 *
 * @example
 * ```ts
 * const options: OpenAIEndpointOptions = { model: 'gpt-4o-mini', maxConcurrent: 20, rpm: 500, timeoutMs: 30_000 }
 * ```
 */
export interface OpenAIEndpointOptions extends Omit<ClientOptions, ManagedClientOptions>, EndpointLimitOptions {
  /** The model to ask, e.g. `'gpt-4o-mini'`, or the name a local server knows. */
  model: string
  /**
   * The API key. Default: the `OPENAI_API_KEY` environment variable; for a `baseURL` on this
   * machine (localhost, 127.0.0.1, ::1) with no key anywhere, the placeholder `'unused'`.
   * Kept in a closure: never on the endpoint object, in its description or in errors.
   */
  apiKey?: string
  /** An OpenAI-compatible server, e.g. `'http://localhost:11434/v1'` (Ollama). Default: `OPENAI_BASE_URL`, else OpenAI. */
  baseURL?: string
  organization?: string
  project?: string
  /** Headers sent with every request; values of auth-like headers are kept out of errors too. */
  defaultHeaders?: Record<string, string>
}

/**
 * An endpoint speaking the OpenAI chat completions API through the official `openai` SDK: OpenAI
 * itself or any compatible server (vLLM, Ollama, llama.cpp, LM Studio) via `baseURL`.
 *
 * - The SDK is loaded with a dynamic `import('openai')` on the first request, so importing plait
 *   does not load it; its own retries are off (`maxRetries: 0`): plait's `retries` decide, with
 *   its limits (`rpm`, `tpm`, `maxConcurrent`, `timeoutMs`) applied to every attempt.
 * - The key is resolved now ("bind time"): `apiKey`, else `OPENAI_API_KEY`, else `'unused'` when
 *   `baseURL` is on this machine; otherwise this throws a `TypeError` saying what to set.
 * - Failures become `EndpointError`s with `status`, `retryable` and `retryAfterMs`; an abort rejects
 *   with the signal's reason.
 *
 * @example
 * ```ts
 * import { openai } from 'plait/endpoints'
 * const fast = openai({ model: 'gpt-4o-mini', maxConcurrent: 20, rpm: 500, tpm: 200_000 })
 * const local = openai({ model: 'llama3.1', baseURL: 'http://localhost:11434/v1' }) // no key needed
 * ```
 */
export function openai(options: OpenAIEndpointOptions): Endpoint {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` of openai() to be an object with a \`model\`, got ${show(options)}`)
  }
  const { model, apiKey, baseURL, organization, project, defaultHeaders, maxConcurrent, rpm, tpm, burst, retries, timeoutMs, fallbacks, adaptive, ...extra } = options
  const limitOptions: EndpointLimitOptions = { maxConcurrent, rpm, tpm, burst, retries, timeoutMs, fallbacks, adaptive }
  if (typeof model !== 'string' || model.trim() === '') {
    throw new TypeError(`Expected \`model\` of openai() to be a non-empty string, got ${show(model)}`)
  }
  const env = globalThis.process?.env ?? {}
  if (baseURL !== undefined && typeof baseURL !== 'string') {
    throw new TypeError(`Expected \`baseURL\` of openai({ model: ${JSON.stringify(model)} }) to be a string, got ${show(baseURL)}`)
  }
  const url = baseURL ?? (env['OPENAI_BASE_URL'] || undefined) ?? OPENAI_DEFAULT_BASE_URL
  const parsedURL = parseHttpURL(url)
  if (parsedURL === undefined) {
    const source = baseURL === undefined ? 'the OPENAI_BASE_URL environment variable' : '`baseURL`'
    throw new TypeError(
      `Expected ${source} of openai({ model: ${JSON.stringify(model)} }) to be an http(s) URL such as 'http://localhost:11434/v1', got ${
        url.includes('@') ? 'a string that is not one' : show(url)
      }`,
    )
  }
  if (defaultHeaders !== undefined && (typeof defaultHeaders !== 'object' || defaultHeaders === null || Array.isArray(defaultHeaders))) {
    throw new TypeError(`Expected \`defaultHeaders\` of openai({ model: ${JSON.stringify(model)} }) to be an object of strings, got ${show(defaultHeaders)}`)
  }
  const key = resolveApiKey({ model, baseURL: url, apiKey, env })

  const redact = createRedactor([
    key,
    parsedURL.password,
    safeDecode(parsedURL.password),
    ...secretHeaderValues(defaultHeaders),
  ])
  const shownURL = displayURL(url)
  const where = `openai "${model}" at ${shownURL}`

  const sdkTimeoutMs = typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs + 1_000 : undefined

  type Loaded = { sdk: typeof import('openai'); client: OpenAIClient }
  /** The SDK and client once loaded: later requests start without waiting for a promise. */
  let loaded: Loaded | undefined
  let loading: Promise<Loaded> | undefined
  const load = () =>
    (loading ??= import('openai').then(
      (sdk) => {
        const clientOptions: ClientOptions = {
          ...extra,
          apiKey: key,
          baseURL: url,
          maxRetries: 0,
        }
        if (organization !== undefined) clientOptions.organization = organization
        if (project !== undefined) clientOptions.project = project
        if (defaultHeaders !== undefined) clientOptions.defaultHeaders = defaultHeaders
        // plait's own `timeoutMs` aborts the request; the SDK's timeout only backs it up.
        if (sdkTimeoutMs !== undefined) clientOptions.timeout = sdkTimeoutMs
        return (loaded = { sdk, client: new sdk.OpenAI(clientOptions) })
      },
      (error: unknown) => {
        loading = undefined
        throw new Error(`Expected the \`openai\` package to be installed for ${where}: run \`npm install openai\``, { cause: error })
      },
    ))

  /**
   * Sends one request with the client loaded: as a direct call's (below), with a request of its
   * own that follows `signal` (see RequestSignal) and settles the promise. Not an async function:
   * the reply reaches the caller through one `then` on the SDK's promise rather than through
   * `await`s (each one more turn of the microtask queue per request).
   */
  const send = (loaded: Loaded, request: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> => {
    signal.throwIfAborted()
    return new Promise((resolve, reject) => sendDirect(loaded, request, new PromisedRequest(signal, resolve, reject)))
  }

  /**
   * Sends a direct call's request (runtime/direct.ts) with the client loaded: the SDK takes the
   * call as its signal (the run aborts it), and the reply reaches the call through one `then`.
   * `complete()` sends its requests this way too (`send`).
   */
  const sendDirect = ({ sdk, client }: Loaded, request: CompletionRequest, call: DirectRequest): void => {
    const signal = call.asSignal()
    const failed = (error: unknown) => call.failed(toEndpointError(error, { sdk, signal, where, redact, timeoutMs: sdkTimeoutMs }))
    let reply: Promise<ChatCompletion>
    try {
      reply = client.chat.completions.create(toChatCompletionBody(model, request), { signal })
    } catch (error) {
      failed(error)
      return
    }
    reply.then((completion) => {
      const result = fromChatCompletion(completion, model)
      if ('reason' in result) call.failed(new EndpointError(`${where}: Expected a reply with text, but ${redact(result.reason)}`, { retryable: false }))
      else call.replied(result)
    }, failed)
  }

  const endpointOptions: DefineEndpointOptions & { [directSendKey]: DirectSend } = {
    ...limitOptions,
    kind: 'openai',
    model,
    baseURL: shownURL,
    [directSendKey]: (request: CompletionRequest, call: DirectRequest) => {
      if (loaded !== undefined) return sendDirect(loaded, request, call)
      load().then(
        (sdk) => sendDirect(sdk, request, call),
        (error: unknown) => call.failed(error),
      )
    },
    complete(request, { signal }) {
      try {
        signal.throwIfAborted()
        if (loaded !== undefined) return send(loaded, request, signal)
      } catch (error) {
        return Promise.reject(error)
      }
      return load().then((sdk) => send(sdk, request, signal))
    },
  }
  return defineEndpoint(endpointOptions)
}

/** A request of `complete()`: its own signal, following the caller's, and the promise it settles. */
class PromisedRequest extends RequestSignal implements DirectRequest {
  // Fields set in the constructor, not by initializers (see RunNode in runtime/run.ts).
  declare readonly resolve: (result: CompletionResult) => void
  declare readonly reject: (error: unknown) => void

  constructor(caller: AbortSignal, resolve: (result: CompletionResult) => void, reject: (error: unknown) => void) {
    super(caller)
    this.resolve = resolve
    this.reject = reject
  }

  replied(result: CompletionResult): void {
    this.done()
    this.resolve(result)
  }

  failed(error: unknown): void {
    this.done()
    this.reject(error)
  }
}

function parseHttpURL(url: string): URL | undefined {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : undefined
  } catch {
    return undefined
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
