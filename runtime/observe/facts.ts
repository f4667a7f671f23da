/**
 * What observers may keep of a `NodeRecord`: an allow-list of fields copied out of it, never the
 * record or its `details` spread wholesale. Endpoint descriptions keep only kind, model and a
 * display URL; error text is passed through the redactor and cut short. Prompt and reply text
 * are read only when an observer asks for content.
 */
import type { ChatMessage, EndpointDescription } from '../endpoint.js'
import { createRedactor, displayURL } from '../endpoints/redact.js'
import type { CallEvent } from '../events.js'
import type { NodeRecord } from '../run.js'

/** An endpoint as observers show it. */
export interface EndpointFacts {
  kind: string
  model: string
  baseURL?: string
}

/** A call event with only what may be shown. Times are `performance.now()` ms. */
export type EventFacts =
  | { type: 'queued'; alias: string; at: number }
  | { type: 'rate-limit-wait'; alias: string; reason: string; waitMs: number; at: number }
  | { type: 'attempt'; alias: string; attempt: number; at: number }
  | { type: 'retry'; alias: string; attempt: number; delayMs: number; status?: number; retryAfterMs?: number; message: string; at: number }
  | { type: 'fallback'; from: string; to: string; attempts?: number; message?: string; at: number }
  | { type: 'end'; alias: string; ok: boolean; at: number }

/** What an LLM call node tells beyond its timing. */
export interface CallFacts {
  /** The endpoint of the last attempt. */
  endpoint?: EndpointFacts
  /** The model that answered, when the node reports it (`details.responseModel`). */
  responseModel?: string
  /** Tokens summed over every request of the node (retries that answered, re-asks). */
  inputTokens?: number
  outputTokens?: number
  /** Requests sent (attempt events; without events, `details.calls`). */
  attempts: number
  retries: number
  rateLimitWaits: number
  fallbacks: number
  /** Backend calls the node made (structured output re-asks add one each). */
  calls?: number
  /** Time the last backend call waited for its limiter (`details.queuedMs`). */
  queuedMs?: number
  /** Request settings, when the node reports them (`details.request`, shaped like `CompletionRequest` without messages). */
  request?: RequestFacts
  events: EventFacts[]
}

/** Request settings of a call (no content). */
export interface RequestFacts {
  temperature?: number
  maxTokens?: number
  topP?: number
  seed?: number
  stop?: string[]
  /** `'json'` for a JSON response format, `'text'` otherwise. */
  outputType?: 'json' | 'text'
}

function requestFacts(value: unknown): RequestFacts | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { temperature, maxTokens, options, responseFormat } = value as { temperature?: unknown; maxTokens?: unknown; options?: Record<string, unknown>; responseFormat?: { type?: unknown } }
  const facts: RequestFacts = {}
  if (isNumber(temperature)) facts.temperature = temperature
  if (isNumber(maxTokens)) facts.maxTokens = maxTokens
  if (options !== null && typeof options === 'object') {
    if (isNumber(options.top_p)) facts.topP = options.top_p
    if (isNumber(options.seed)) facts.seed = options.seed
    if (isString(options.stop)) facts.stop = [options.stop]
    else if (Array.isArray(options.stop) && options.stop.every(isString)) facts.stop = [...options.stop]
  }
  if (responseFormat !== null && typeof responseFormat === 'object' && isString(responseFormat.type)) {
    facts.outputType = responseFormat.type === 'json_object' || responseFormat.type === 'json_schema' ? 'json' : 'text'
  }
  return facts
}

/** The error of a failed node, fit to show. */
export interface ErrorFacts {
  /** A low-cardinality class: an HTTP status (`'429'`), an error name (`'OutputValidationError'`), or `'_OTHER'`. */
  type: string
  /** The error's class name (`'NodeError'`). */
  name: string
  /** The message, redacted and at most 1,000 characters. */
  message: string
  stack?: string
}

/** Prompt and reply text of a call; read only for observers that record content. */
export interface ContentFacts {
  system?: string
  messages?: ChatMessage[]
  reply?: string
}

/** A node as observers keep it. Times are ms since its run started. */
export interface NodeFacts {
  run: number
  id: string
  kind: string
  module: string
  alias?: string
  state: NodeRecord['state']
  readyMs?: number
  startMs?: number
  endMs?: number
  error?: ErrorFacts
  /** Present for LLM calls (nodes with an alias or call details). */
  call?: CallFacts
}

const redact = createRedactor([])

/** Redacts key-shaped text and cuts it to `limit` characters. */
export function safeText(text: string, limit = 1000): string {
  const clean = redact(text)
  return clean.length > limit ? `${clean.slice(0, limit)}…` : clean
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const isString = (value: unknown): value is string => typeof value === 'string'

/** An endpoint description reduced to kind, model and a display URL. */
export function endpointFacts(value: unknown): EndpointFacts | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { kind, model, baseURL } = value as Partial<EndpointDescription>
  if (!isString(kind) || !isString(model)) return undefined
  const facts: EndpointFacts = { kind, model }
  if (isString(baseURL)) facts.baseURL = displayURL(baseURL)
  return facts
}

function eventFacts(event: CallEvent): EventFacts | undefined {
  if (event === null || typeof event !== 'object' || !isNumber(event.at)) return undefined
  switch (event.type) {
    case 'queued':
      return { type: 'queued', alias: String(event.alias), at: event.at }
    case 'rate-limit-wait':
      return { type: 'rate-limit-wait', alias: String(event.alias), reason: String(event.reason), waitMs: isNumber(event.waitMs) ? event.waitMs : 0, at: event.at }
    case 'attempt':
      return { type: 'attempt', alias: String(event.alias), attempt: isNumber(event.attempt) ? event.attempt : 1, at: event.at }
    case 'retry': {
      const facts: EventFacts = {
        type: 'retry',
        alias: String(event.alias),
        attempt: isNumber(event.attempt) ? event.attempt : 1,
        delayMs: isNumber(event.delayMs) ? event.delayMs : 0,
        message: safeText(String(event.message ?? ''), 300),
        at: event.at,
      }
      if (isNumber(event.status)) facts.status = event.status
      const { retryAfterMs } = event as { retryAfterMs?: unknown }
      if (isNumber(retryAfterMs)) facts.retryAfterMs = retryAfterMs
      return facts
    }
    case 'fallback': {
      const facts: EventFacts = { type: 'fallback', from: String(event.from), to: String(event.to), at: event.at }
      const { attempts, message } = event as { attempts?: unknown; message?: unknown }
      if (isNumber(attempts)) facts.attempts = attempts
      if (isString(message)) facts.message = safeText(message, 300)
      return facts
    }
    case 'end':
      return { type: 'end', alias: String(event.alias), ok: event.ok === true, at: event.at }
    default:
      return undefined
  }
}

function callFacts(details: Record<string, unknown>): CallFacts {
  const raw = Array.isArray(details.events) ? (details.events as CallEvent[]) : []
  const events = raw.map(eventFacts).filter((event): event is EventFacts => event !== undefined)
  // Stable: events of equal time keep the order they were reported in.
  events.sort((first, second) => first.at - second.at)
  let inputTokens: number | undefined
  let outputTokens: number | undefined
  let endpoint: EndpointFacts | undefined
  const facts: CallFacts = { attempts: 0, retries: 0, rateLimitWaits: 0, fallbacks: 0, events }
  for (const event of raw) {
    if (event?.type === 'attempt') endpoint = endpointFacts(event.endpoint) ?? endpoint
    if (event?.type === 'end' && event.usage) {
      if (isNumber(event.usage.promptTokens)) inputTokens = (inputTokens ?? 0) + event.usage.promptTokens
      if (isNumber(event.usage.completionTokens)) outputTokens = (outputTokens ?? 0) + event.usage.completionTokens
    }
  }
  for (const event of events) {
    if (event.type === 'attempt') facts.attempts++
    else if (event.type === 'retry') facts.retries++
    else if (event.type === 'rate-limit-wait') facts.rateLimitWaits++
    else if (event.type === 'fallback') facts.fallbacks++
  }
  if (inputTokens === undefined && outputTokens === undefined) {
    const usage = details.usage as { promptTokens?: unknown; completionTokens?: unknown } | undefined
    if (isNumber(usage?.promptTokens)) inputTokens = usage.promptTokens
    if (isNumber(usage?.completionTokens)) outputTokens = usage.completionTokens
  }
  if (inputTokens !== undefined) facts.inputTokens = inputTokens
  if (outputTokens !== undefined) facts.outputTokens = outputTokens
  endpoint = endpointFacts(details.endpoint) ?? endpoint
  if (endpoint) facts.endpoint = endpoint
  if (isString(details.responseModel)) facts.responseModel = details.responseModel
  if (isNumber(details.calls)) facts.calls = details.calls
  if (isNumber(details.queuedMs)) facts.queuedMs = details.queuedMs
  const request = requestFacts(details.request)
  if (request) facts.request = request
  if (events.length === 0 && facts.attempts === 0) facts.attempts = facts.calls ?? 1
  return facts
}

/** The error of a failed node, fit to show: its class from the cause chain, its message redacted. */
export function errorFacts(error: unknown): ErrorFacts {
  let type: string | undefined
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const { status, name } = current as { status?: unknown; name?: unknown }
    if (isNumber(status)) {
      type = String(status)
      break
    }
    if (isString(name) && name !== 'Error' && name !== 'NodeError' && name !== 'PlaitError') type ??= name
    current = (current as { cause?: unknown }).cause
  }
  const facts: ErrorFacts = {
    type: type ?? '_OTHER',
    name: error instanceof Error ? error.name : typeof error === 'object' && error !== null && isString((error as { name?: unknown }).name) ? (error as { name: string }).name : 'Error',
    message: safeText(error instanceof Error ? error.message : String(error)),
  }
  if (error instanceof Error && isString(error.stack)) facts.stack = safeText(error.stack, 4000)
  return facts
}

/** Whether a record is an LLM call: it has an alias, or a node function reported call details. */
export function isCall(record: NodeRecord): boolean {
  return record.alias !== undefined || (record.details !== undefined && (Array.isArray(record.details.events) || 'endpoint' in record.details))
}

/** Copies what may be shown of `record`. */
export function nodeFacts(record: NodeRecord): NodeFacts {
  const facts: NodeFacts = { run: record.run, id: String(record.id), kind: String(record.kind), module: String(record.module ?? ''), state: record.state }
  if (isString(record.alias)) facts.alias = record.alias
  if (isNumber(record.readyMs)) facts.readyMs = record.readyMs
  if (isNumber(record.startMs)) facts.startMs = record.startMs
  if (isNumber(record.endMs)) facts.endMs = record.endMs
  if (record.state === 'failed') facts.error = errorFacts(record.error)
  if (isCall(record)) facts.call = callFacts(record.details ?? {})
  return facts
}

/** The prompt and reply text a call node reports (`details.system`, `details.messages`, `details.reply`). */
export function contentFacts(record: NodeRecord): ContentFacts {
  const details = record.details ?? {}
  const content: ContentFacts = {}
  if (isString(details.system) && details.system !== '') content.system = details.system
  if (Array.isArray(details.messages)) {
    content.messages = (details.messages as unknown[])
      .filter((message): message is ChatMessage => message !== null && typeof message === 'object' && isString((message as ChatMessage).role) && isString((message as ChatMessage).content))
      .map(({ role, content: text }) => ({ role, content: text }))
  }
  if (isString(details.reply)) content.reply = details.reply
  return content
}

/**
 * An estimate of when a run started (`performance.now()` ms) from one of its records, for
 * observers that were not told by `runStart`. From call events (the first event follows the
 * node's start by microseconds) when there are some; else from the clock now, since a record is
 * reported the moment its node settles. Never earlier than the true start.
 */
export function estimateRunStart(record: NodeRecord, facts: NodeFacts, now: number): { at: number; from: 'events' | 'clock' } | undefined {
  const first = facts.call?.events[0]
  if (first && facts.startMs !== undefined) return { at: first.at - facts.startMs, from: 'events' }
  const since = facts.endMs ?? facts.startMs ?? facts.readyMs
  if (since !== undefined && record.state !== 'cancelled') return { at: now - since, from: 'clock' }
  return undefined
}
