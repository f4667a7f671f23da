/**
 * OpenTelemetry spans for runs, following the GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): one span per run and, inside
 * it, one `chat {model}` client span per LLM call, with explicit start and end times taken from
 * the run's records. Prompts and replies are recorded only with `recordContent: true`.
 *
 * `@opentelemetry/api` is an optional peer: nothing here imports it statically. It is loaded with
 * `import()` when `createOtelObserver()` is called without `api`, and a missing package is a clear
 * error then. The types below are the small structural subset of the API that plait uses, so that
 * plait's declarations do not need the package either.
 */
import type { NodeRecord } from '../run.js'
import { contentFacts, errorFacts, estimateRunStart, nodeFacts, type ErrorFacts, type NodeFacts } from './facts.js'
import type { RunEndInfo, RunObserver, RunStartInfo } from './observer.js'

/** A span attribute value. */
export type OtelAttributeValue = string | number | boolean | string[] | number[] | boolean[]
/** Span attributes; `undefined` values are dropped. */
export type OtelAttributes = Record<string, OtelAttributeValue | undefined>
/** A time as `[seconds, nanoseconds]` since the Unix epoch (OpenTelemetry's `HrTime`). */
export type OtelTime = [seconds: number, nanoseconds: number]
/** An OpenTelemetry `Context` (opaque here). */
export type OtelContext = unknown

/** The part of an OpenTelemetry `Span` plait uses. */
export interface OtelSpan {
  setAttribute(key: string, value: OtelAttributeValue): unknown
  setAttributes(attributes: OtelAttributes): unknown
  addEvent(name: string, attributes?: OtelAttributes, time?: OtelTime): unknown
  setStatus(status: { code: number; message?: string }): unknown
  recordException(exception: { name: string; message: string; stack?: string }, time?: OtelTime): void
  end(endTime?: OtelTime): void
  isRecording(): boolean
}

/** The part of an OpenTelemetry `Tracer` plait uses. */
export interface OtelTracer {
  startSpan(name: string, options?: { kind?: number; startTime?: OtelTime; attributes?: OtelAttributes }, context?: OtelContext): OtelSpan
}

/** The part of the `@opentelemetry/api` module plait uses. */
export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer
    setSpan(context: OtelContext, span: OtelSpan): OtelContext
  }
  context: {
    active(): OtelContext
  }
}

/** Options of {@link createOtelObserver}. */
export interface OtelObserverOptions {
  /** The `@opentelemetry/api` module. Default: loaded with `import('@opentelemetry/api')`. */
  api?: OtelApi
  /** Where spans go. Default: `api.trace.getTracer('plait')`, i.e. the globally registered provider. */
  tracer?: OtelTracer
  /**
   * Record prompts and replies on call spans (`gen_ai.system_instructions`, `gen_ai.input.messages`,
   * `gen_ai.output.messages`, as JSON strings). They may hold personal data. Default `false`.
   */
  recordContent?: boolean
}

/** Sends a span per run and per LLM call to OpenTelemetry. */
export interface OtelObserver extends RunObserver {
  /** Opens the run's span, as a child of the context active now (the caller's span, if any). */
  runStart(info: RunStartInfo): void
  /** Ends an LLM call's span (started at its node's start) as a child of its run's span. */
  onNode(record: NodeRecord): void
  /** Ends the run's span, with status ERROR when the run failed. */
  runEnd(info: RunEndInfo): void
  /** Ends the spans of runs that were never told to have ended, at their last node's end. */
  flush(): void
}

/** `SpanKind` and `SpanStatusCode` values of the OpenTelemetry API (stable by specification). */
const SPAN_KIND_INTERNAL = 0
const SPAN_KIND_CLIENT = 2
const STATUS_ERROR = 2

let loading: Promise<OtelApi> | undefined

/**
 * Loads `@opentelemetry/api` (once), or rejects with what to install.
 *
 * @example
 * ```ts
 * const api = await loadOpenTelemetryApi()
 * const observer = await createOtelObserver({ api })
 * ```
 */
export function loadOpenTelemetryApi(): Promise<OtelApi> {
  return (loading ??= import(/* webpackIgnore: true */ /* @vite-ignore */ '@opentelemetry/api').then(
    (api): OtelApi => api,
    (error: unknown) => {
      loading = undefined
      throw new Error(
        'Expected the `@opentelemetry/api` package to be installed for telemetry: run `npm install @opentelemetry/api` and register a tracer provider (e.g. `@opentelemetry/sdk-node`), or pass `api` yourself.',
        { cause: error },
      )
    },
  ))
}

/** `performance.now()` milliseconds as an epoch `[seconds, nanoseconds]`. */
export function toOtelTime(at: number): OtelTime {
  const epochMs = performance.timeOrigin + at
  let seconds = Math.floor(epochMs / 1000)
  let nanos = Math.round((epochMs - seconds * 1000) * 1e6)
  if (nanos >= 1e9) {
    seconds += 1
    nanos -= 1e9
  }
  return [seconds, nanos]
}

/** `gen_ai.provider.name` of an endpoint: the provider behind an OpenAI-compatible URL when known. */
export function providerName(kind: string, baseURL: string | undefined): string {
  if (kind !== 'openai') return kind
  const host = hostOf(baseURL) ?? ''
  const known: Array<[RegExp, string]> = [
    [/(^|\.)openai\.azure\.com$/, 'azure.ai.openai'],
    [/(^|\.)groq\.com$/, 'groq'],
    [/(^|\.)deepseek\.com$/, 'deepseek'],
    [/(^|\.)x\.ai$/, 'x_ai'],
    [/(^|\.)mistral\.ai$/, 'mistral_ai'],
    [/(^|\.)perplexity\.ai$/, 'perplexity'],
    [/^generativelanguage\.googleapis\.com$/, 'gcp.gemini'],
  ]
  return known.find(([pattern]) => pattern.test(host))?.[1] ?? 'openai'
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '')
  } catch {
    return undefined
  }
}

function serverOf(url: string | undefined): { address: string; port: number } | undefined {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port)
    return { address: parsed.hostname.replace(/^\[|\]$/g, ''), port }
  } catch {
    return undefined
  }
}

interface OpenRun {
  span: OtelSpan
  context: OtelContext
  /** `performance.now()` of the run's start. */
  origin: number
  lastEnd: number
  /** The first failure among its nodes, for runs ended by `flush()`. */
  failure?: ErrorFacts
}

/**
 * Creates an observer that turns runs into OpenTelemetry spans. Wire all three hooks for exact
 * run spans; with `onNode` alone, a run's span starts at an estimate and ends on `flush()`.
 *
 * Spans: `run {name}` (INTERNAL) per run; `chat {model}` (CLIENT) per LLM call with
 * `gen_ai.operation.name`, `gen_ai.provider.name` (and the older `gen_ai.system`),
 * `gen_ai.request.model`, the request settings and `gen_ai.response.model` when the node reports
 * them, `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens` (summed over retries and
 * re-asks), `server.address`, `server.port`, `error.type`, plait's own `plait.*` attributes, and
 * events for retries, rate-limit waits and fallbacks. Other nodes (render, select, derive) make
 * no spans. See docs/observability.md.
 *
 * @example
 * ```ts
 * import { createOtelObserver } from 'plait'
 * const telemetry = await createOtelObserver({ recordContent: false })
 * telemetry.runStart({ run: 1, startedAt: performance.now(), name: 'Summarize' })
 * // ... pass telemetry.onNode to the run, then:
 * telemetry.runEnd({ run: 1, endedAt: performance.now(), ok: true })
 * ```
 */
export async function createOtelObserver(options: OtelObserverOptions = {}): Promise<OtelObserver> {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected telemetry options to be an object, got ${String(options)}.`)
  const api = options.api ?? (await loadOpenTelemetryApi())
  const tracer = options.tracer ?? api.trace.getTracer('plait')
  const recordContent = options.recordContent === true
  const runs = new Map<number, OpenRun>()

  const open = (run: number, origin: number, name: string | undefined, index: number | undefined): OpenRun => {
    const attributes: OtelAttributes = { 'plait.run.id': run, 'plait.pipeline': name, 'plait.batch.index': index }
    const span = tracer.startSpan(name === undefined ? 'run' : `run ${name}`, { kind: SPAN_KIND_INTERNAL, startTime: toOtelTime(origin), attributes: defined(attributes) })
    const entry: OpenRun = { span, context: api.trace.setSpan(api.context.active(), span), origin, lastEnd: origin }
    runs.set(run, entry)
    return entry
  }
  const close = (entry: OpenRun, at: number, error: ErrorFacts | undefined) => {
    if (error) fail(entry.span, error, at)
    entry.span.end(toOtelTime(Math.max(at, entry.lastEnd)))
  }

  const observer: OtelObserver = {
    runStart(info) {
      const stale = runs.get(info.run)
      if (stale) close(stale, stale.lastEnd, undefined)
      open(info.run, info.startedAt, info.name, info.index)
    },
    onNode(record) {
      const facts = nodeFacts(record)
      if (!facts.call || facts.startMs === undefined) {
        const entry = runs.get(facts.run)
        if (entry && facts.endMs !== undefined) entry.lastEnd = Math.max(entry.lastEnd, entry.origin + facts.endMs)
        if (entry && facts.error) entry.failure ??= facts.error
        return
      }
      let entry = runs.get(facts.run)
      if (!entry) {
        const estimate = estimateRunStart(record, facts, performance.now())
        entry = open(facts.run, estimate?.at ?? performance.now() - (facts.endMs ?? 0), undefined, undefined)
      }
      if (facts.error) entry.failure ??= facts.error
      const start = entry.origin + facts.startMs
      const end = entry.origin + Math.max(facts.endMs ?? facts.startMs, facts.startMs)
      entry.lastEnd = Math.max(entry.lastEnd, end)
      const span = tracer.startSpan(callSpanName(facts), { kind: SPAN_KIND_CLIENT, startTime: toOtelTime(start), attributes: defined(callAttributes(facts)) }, entry.context)
      if (span.isRecording()) {
        for (const event of facts.call.events) {
          const time = toOtelTime(Math.min(Math.max(event.at, start), end))
          if (event.type === 'retry') {
            span.addEvent(
              'plait.retry',
              defined({ 'plait.attempt': event.attempt, 'plait.retry.delay_ms': event.delayMs, 'plait.retry.retry_after_ms': event.retryAfterMs, 'http.response.status_code': event.status, 'plait.retry.message': event.message }),
              time,
            )
          } else if (event.type === 'rate-limit-wait') {
            span.addEvent('plait.rate_limit_wait', { 'plait.rate_limit.reason': event.reason, 'plait.rate_limit.wait_ms': event.waitMs, 'plait.alias': event.alias }, time)
          } else if (event.type === 'fallback') {
            span.addEvent('plait.fallback', defined({ 'plait.fallback.from': event.from, 'plait.fallback.to': event.to, 'plait.fallback.attempts': event.attempts, 'plait.fallback.message': event.message }), time)
          }
        }
        if (recordContent) span.setAttributes(contentAttributes(record))
      }
      if (facts.error) fail(span, facts.error, end)
      span.end(toOtelTime(end))
    },
    runEnd(info) {
      const entry = runs.get(info.run) ?? open(info.run, info.endedAt, undefined, undefined)
      runs.delete(info.run)
      close(entry, info.endedAt, info.ok ? undefined : errorFacts(info.error))
    },
    flush() {
      for (const [run, entry] of runs) {
        runs.delete(run)
        close(entry, entry.lastEnd, entry.failure)
      }
    },
  }
  for (const key of ['runStart', 'onNode', 'runEnd', 'flush'] as const) {
    Object.defineProperty(observer, key, { value: observer[key], enumerable: false })
  }
  return observer
}

function callSpanName(facts: NodeFacts): string {
  const model = facts.call?.endpoint?.model
  return model === undefined ? 'chat' : `chat ${model}`
}

function callAttributes(facts: NodeFacts): OtelAttributes {
  const call = facts.call!
  const endpoint = call.endpoint
  const provider = endpoint ? providerName(endpoint.kind, endpoint.baseURL) : undefined
  const server = serverOf(endpoint?.baseURL)
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': provider,
    // The name before semantic conventions 1.37; many backends still read it.
    'gen_ai.system': provider,
    'gen_ai.request.model': endpoint?.model,
    'gen_ai.request.temperature': call.request?.temperature,
    'gen_ai.request.max_tokens': call.request?.maxTokens,
    'gen_ai.request.top_p': call.request?.topP,
    'gen_ai.request.seed': call.request?.seed,
    'gen_ai.request.stop_sequences': call.request?.stop,
    'gen_ai.output.type': call.request?.outputType,
    'gen_ai.response.model': call.responseModel,
    'gen_ai.usage.input_tokens': call.inputTokens,
    'gen_ai.usage.output_tokens': call.outputTokens,
    'server.address': server?.address,
    'server.port': server?.port,
    'error.type': facts.error?.type,
    'plait.run.id': facts.run,
    'plait.node.id': facts.id,
    'plait.module': facts.module,
    'plait.alias': facts.alias,
    'plait.endpoint.kind': endpoint?.kind,
    'plait.attempts': call.attempts,
    'plait.retries': call.retries,
    'plait.calls': call.calls,
    'plait.queued_ms': call.queuedMs,
  }
}

/** Prompt and reply attributes in the JSON shapes of the GenAI conventions. */
function contentAttributes(record: NodeRecord): OtelAttributes {
  const content = contentFacts(record)
  const attributes: OtelAttributes = {}
  const text = (value: string) => [{ type: 'text', content: value }]
  if (content.system !== undefined) attributes['gen_ai.system_instructions'] = JSON.stringify(text(content.system))
  const messages = content.messages?.filter((message) => !(message.role === 'system' && message.content === content.system))
  if (messages && messages.length > 0) attributes['gen_ai.input.messages'] = JSON.stringify(messages.map((message) => ({ role: message.role, parts: text(message.content) })))
  if (content.reply !== undefined) attributes['gen_ai.output.messages'] = JSON.stringify([{ role: 'assistant', parts: text(content.reply), finish_reason: 'stop' }])
  return attributes
}

function fail(span: OtelSpan, error: ErrorFacts, at: number): void {
  span.setAttribute('error.type', error.type)
  const exception: { name: string; message: string; stack?: string } = { name: error.name, message: error.message }
  if (error.stack !== undefined) exception.stack = error.stack
  span.recordException(exception, toOtelTime(at))
  span.setStatus({ code: STATUS_ERROR, message: error.message })
}

/** The attributes without `undefined` values. */
function defined(attributes: OtelAttributes): OtelAttributes {
  const result: OtelAttributes = {}
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) result[key] = value
  return result
}
