/**
 * A local OpenAI-compatible HTTP server for tests and benchmarks: `POST /v1/chat/completions`
 * (non-streaming) on 127.0.0.1, with per-model latency, scripted replies, injected faults (scripted
 * through the reply hook, or drawn at seeded rates with `faults`) and in-flight counting at the
 * server. Uses only `node:http`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChatMessage, ResponseFormat } from '../../runtime/endpoint.js'
import { seededRandom } from '../../runtime/endpoints/prng.js'
import { defaultReply } from '../../runtime/endpoints/simulated-reply.js'

/** The JSON body of a chat completions request, as received. */
export interface MockChatBody {
  model: string
  messages: Array<{ role: string; content: unknown }>
  response_format?: { type: string; json_schema?: { name?: string; schema?: Record<string, unknown>; strict?: boolean } }
  [key: string]: unknown
}

/**
 * What a reply hook answers: the reply text (status 200), or a response to send:
 * - `{ text }`: a 200 chat completion with this text;
 * - `{ status, body?, headers? }`: that status; `body` is sent as JSON, or as plain text when it is a
 *   string; it defaults to an OpenAI-style error for non-2xx statuses and to a chat completion
 *   (default text) for 2xx;
 * - `{ hang: true }`: never answer; the request ends when the client disconnects or the server closes;
 * - `undefined`: the default reply.
 */
export type MockReply =
  | string
  | undefined
  | { text?: string; status?: number; body?: unknown; headers?: Record<string, string>; hang?: boolean }

/** What a reply hook is told besides the body. */
export interface MockReplyContext {
  /** Request headers (to check or echo; the server itself never logs them). */
  headers: IncomingHttpHeaders
  /** 0-based number of the request at this server. */
  index: number
}

/** Scripts the server's answers. */
export type MockReplyHandler = (body: MockChatBody, context: MockReplyContext) => MockReply | Promise<MockReply>

/** Latency before answering, in milliseconds: one for all, per model (`'*'` for the rest), or a function. */
export type MockLatency = number | Record<string, number> | ((body: MockChatBody) => number)

/**
 * Injected faults, drawn per request from a PRNG seeded with `seed` before the reply hook runs:
 * a 429 (with `retry-after-ms` when `retryAfterMs` is set) with probability `rate429`, a 500 with
 * `rate500`, a hang (no answer until the client goes away) with `rateHang`; otherwise the reply
 * hook (or the default reply) answers.
 */
export interface MockFaults {
  rate429?: number
  retryAfterMs?: number
  rate500?: number
  rateHang?: number
  seed?: number
}

/** Options of {@link startMockOpenAIServer}. */
export interface MockOpenAIServerOptions {
  latencyMs?: MockLatency
  reply?: MockReplyHandler
  faults?: MockFaults
  /** Keep a log entry (with the body) per request. Default true; turn off for long benchmarks. */
  log?: boolean
}

/** Counters of one model, or of the whole server. */
export interface MockCounters {
  requests: number
  inFlight: number
  maxInFlight: number
}

/** Counters measured at the server: in flight from arrival to response end or client close. */
export interface MockStats extends MockCounters {
  perModel: Record<string, MockCounters>
}

/** One request as the server saw it. */
export interface MockLogEntry {
  index: number
  model: string
  body: MockChatBody
  /** `performance.now()` at arrival and at the end (response sent or client gone). */
  startedAt: number
  endedAt: number | undefined
  /** Status sent; `undefined` while running or when the client closed first. */
  status: number | undefined
  /** The client disconnected before the response was sent (an abort). */
  clientClosed: boolean
}

/** A running mock server. */
export interface MockOpenAIServer {
  /** Base URL for the SDK, e.g. `http://127.0.0.1:54321/v1`. */
  readonly url: string
  readonly port: number
  readonly stats: MockStats
  readonly log: MockLogEntry[]
  /** Replaces the reply hook (`undefined`: default replies). */
  setHandler(reply: MockReplyHandler | undefined): void
  /** Replaces the latency. */
  setLatency(latencyMs: MockLatency): void
  /** Replaces the injected faults (`undefined`: none). */
  setFaults(faults: MockFaults | undefined): void
  /** Zeroes the counters and empties the log (requests in flight keep counting down). */
  reset(): void
  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void>
  /** Ends every connection (hung requests too) and stops the server. */
  close(): Promise<void>
}

/**
 * Starts the server on 127.0.0.1 on a free port.
 *
 * @example
 * ```ts
 * const server = await startMockOpenAIServer({ latencyMs: { 'gpt-4o': 50, '*': 10 } })
 * server.setHandler((body) => (body.model === 'flaky' ? { status: 429, headers: { 'retry-after-ms': '100' } } : undefined))
 * const client = new OpenAI({ baseURL: server.url, apiKey: 'test' })
 * await server.close()
 * ```
 */
export async function startMockOpenAIServer(options: MockOpenAIServerOptions = {}): Promise<MockOpenAIServer> {
  let replyHandler = options.reply
  let pickFault = faultPicker(options.faults)
  let latency: MockLatency = options.latencyMs ?? 0
  const keepLog = options.log ?? true
  const stats: MockStats = { requests: 0, inFlight: 0, maxInFlight: 0, perModel: {} }
  const log: MockLogEntry[] = []
  const timers = new Set<NodeJS.Timeout>()
  let idleWaiters: Array<() => void> = []
  let closed = false

  const whenIdle = (): Promise<void> =>
    stats.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))
  const counters = (model: string): MockCounters => (stats.perModel[model] ??= { requests: 0, inFlight: 0, maxInFlight: 0 })

  const server = createServer((req, res) => {
    // In flight from arrival until the response is sent or the client goes away.
    const index = stats.requests++
    stats.inFlight++
    if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight
    let model: MockCounters | undefined
    let entry: MockLogEntry | undefined
    let timer: NodeJS.Timeout | undefined
    const startedAt = performance.now()
    res.once('close', () => {
      if (timer !== undefined) {
        clearTimeout(timer)
        timers.delete(timer)
      }
      const clientClosed = !res.writableFinished
      if (entry !== undefined) {
        entry.endedAt = performance.now()
        entry.clientClosed = clientClosed
        entry.status = clientClosed ? undefined : res.statusCode
      }
      if (model !== undefined) model.inFlight--
      stats.inFlight--
      if (stats.inFlight === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const resolve of waiters) resolve()
      }
    })

    if (req.method !== 'POST' || !(req.url ?? '').split('?')[0]!.endsWith('/chat/completions')) {
      req.resume()
      sendJSON(res, 404, errorBody(`No route for ${req.method} ${req.url}`, 'invalid_request_error', 'not_found'))
      return
    }
    readBody(req).then(
      (raw) => {
        let body: MockChatBody
        try {
          body = JSON.parse(raw) as MockChatBody
          if (typeof body !== 'object' || body === null || typeof body.model !== 'string' || !Array.isArray(body.messages)) throw new Error('bad body')
        } catch {
          sendJSON(res, 400, errorBody('Expected a JSON body with `model` and `messages`', 'invalid_request_error', 'invalid_body'))
          return
        }
        model = counters(body.model)
        model.requests++
        model.inFlight++
        if (model.inFlight > model.maxInFlight) model.maxInFlight = model.inFlight
        if (keepLog) {
          entry = { index, model: body.model, body, startedAt, endedAt: undefined, status: undefined, clientClosed: false }
          log.push(entry)
        }
        if (res.destroyed) return
        const delay = latencyFor(latency, body)
        const answer = () => {
          timer = undefined
          if (res.destroyed) return
          const fault = pickFault()
          if (fault === undefined) respond(req, res, body, index, replyHandler)
          else send(res, body, index, fault)
        }
        if (delay > 0) {
          const t = setTimeout(() => {
            timers.delete(t)
            answer()
          }, delay)
          timer = t
          timers.add(t)
        } else {
          answer()
        }
      },
      () => {
        // The client went away while sending the body; 'close' does the counting.
      },
    )
  })
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    stats,
    log,
    setHandler(reply) {
      replyHandler = reply
    },
    setLatency(latencyMs) {
      latency = latencyMs
    },
    setFaults(faults) {
      pickFault = faultPicker(faults)
    },
    reset() {
      stats.requests = 0
      stats.maxInFlight = stats.inFlight
      for (const counter of Object.values(stats.perModel)) {
        counter.requests = 0
        counter.maxInFlight = counter.inFlight
      }
      log.length = 0
    },
    whenIdle,
    async close() {
      if (closed) return
      closed = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      // Destroyed sockets emit 'close' on their responses a tick later; wait for the counts to settle.
      await Promise.all([stopped, whenIdle()])
    },
  }
}

function faultPicker(faults: MockFaults | undefined): () => MockReply | undefined {
  if (faults === undefined) return () => undefined
  const { rate429 = 0, rate500 = 0, rateHang = 0, retryAfterMs, seed = 1 } = faults
  const random = seededRandom(seed)
  const tooMany: MockReply = retryAfterMs === undefined ? { status: 429 } : { status: 429, headers: { 'retry-after-ms': String(retryAfterMs) } }
  return () => {
    const u = random()
    if (u < rate429) return tooMany
    if (u < rate429 + rate500) return { status: 500 }
    if (u < rate429 + rate500 + rateHang) return { hang: true }
    return undefined
  }
}

function respond(req: IncomingMessage, res: ServerResponse, body: MockChatBody, index: number, handler: MockReplyHandler | undefined): void {
  let answer: MockReply | Promise<MockReply>
  try {
    answer = handler === undefined ? undefined : handler(body, { headers: req.headers, index })
  } catch (error) {
    sendJSON(res, 500, errorBody(`Mock reply hook threw: ${String(error)}`, 'server_error', 'mock_hook_error'))
    return
  }
  if (answer instanceof Promise) {
    answer.then(
      (value) => {
        if (!res.destroyed) send(res, body, index, value)
      },
      (error: unknown) => {
        if (!res.destroyed) sendJSON(res, 500, errorBody(`Mock reply hook threw: ${String(error)}`, 'server_error', 'mock_hook_error'))
      },
    )
    return
  }
  send(res, body, index, answer)
}

function send(res: ServerResponse, body: MockChatBody, index: number, reply: MockReply): void {
  if (reply === undefined || typeof reply === 'string') {
    sendJSON(res, 200, completion(body, index, reply ?? mockDefaultText(body)))
    return
  }
  if (reply.hang === true) return
  const status = reply.status ?? 200
  const ok = status >= 200 && status < 300
  const payload = reply.body !== undefined ? reply.body : ok ? completion(body, index, reply.text ?? mockDefaultText(body)) : errorBody(statusMessage(status), status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error', String(status))
  if (typeof payload === 'string') sendText(res, status, payload, reply.headers)
  else sendJSON(res, status, payload, reply.headers)
}

/**
 * The default reply text: the same deterministic reply the `simulated` endpoint gives for the same
 * model and messages (a JSON value fitting the schema for `json_schema` requests).
 *
 * @example
 * ```ts
 * mockDefaultText({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) // '[m] Re: hi (#…)'
 * ```
 */
export function mockDefaultText(body: MockChatBody): string {
  const messages: ChatMessage[] = body.messages.map((m) => ({
    role: m.role === 'system' || m.role === 'assistant' ? m.role : m.role === 'developer' ? 'system' : 'user',
    content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
  }))
  const format = body.response_format
  let responseFormat: ResponseFormat | undefined
  if (format?.type === 'json_schema') responseFormat = { type: 'json_schema', name: format.json_schema?.name ?? 'response', schema: format.json_schema?.schema ?? {} }
  else if (format?.type === 'json_object') responseFormat = { type: 'json_object' }
  return defaultReply(body.model, responseFormat === undefined ? { messages } : { messages, responseFormat })
}

function completion(body: MockChatBody, index: number, text: string): unknown {
  let promptChars = 0
  for (const message of body.messages) promptChars += typeof message.content === 'string' ? message.content.length : 0
  const promptTokens = Math.ceil(promptChars / 4)
  const completionTokens = Math.ceil(text.length / 4)
  return {
    id: `chatcmpl-mock-${index}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  }
}

function errorBody(message: string, type: string, code: string): unknown {
  return { error: { message, type, param: null, code } }
}

function statusMessage(status: number): string {
  if (status === 429) return 'Rate limit reached for requests'
  if (status === 400) return 'Bad request'
  if (status === 401) return 'Incorrect API key provided'
  if (status >= 500) return 'The server had an error while processing your request'
  return `Request failed with status ${status}`
}

function sendJSON(res: ServerResponse, status: number, payload: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(payload)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_mock_${status}`,
    ...headers,
  })
  res.end(text)
}

function sendText(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function latencyFor(latency: MockLatency, body: MockChatBody): number {
  if (typeof latency === 'number') return latency
  if (typeof latency === 'function') return latency(body)
  return latency[body.model] ?? latency['*'] ?? 0
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
    req.once('close', () => {
      if (!req.complete) reject(new Error('client closed'))
    })
  })
}
