import * as otelApi from '@opentelemetry/api'
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { LLMInference, Module, type NodeRecord } from 'plait'
import { simulated } from 'plait/endpoints'
import { inProcessBackend } from '../../runtime/backend.js'
import { createOtelObserver, type OtelApi, type OtelTracer } from '../../runtime/observe/index.js'
import { providerName, toOtelTime } from '../../runtime/observe/otel.js'
import { eventfulBackend, observedRun, syntheticCall } from './support.js'

const SYSTEM = 'Extract the facts, SYSTEM-PROMPT-MARKER.'
const INPUT = 'USER-INPUT-MARKER document'

class Compare extends Module<[string, string], string> {
  extractor = new LLMInference({ alias: 'fast', system: SYSTEM })
  comparer = new LLMInference({ alias: 'smart', system: 'Compare them.' })
  forward(a: string, b: string): string {
    const first = this.extractor(a)
    const second = this.extractor(b)
    return this.comparer(`Compare:\n${first}\n\nvs:\n${second}`)
  }
}

const endpoints = () => ({
  fast: simulated({ model: 'fast-model', latencyMs: 25 }),
  smart: simulated({ model: 'smart-model', latencyMs: 15 }),
})

/** A tracer provider that keeps finished spans in memory. */
function memoryTracer() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, provider, tracer: provider.getTracer('test') }
}

const ms = ([seconds, nanos]: [number, number]) => seconds * 1e3 + nanos / 1e6
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
/** Everything a span exports that could carry text. */
const dump = (spans: ReadableSpan[]) =>
  JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links, scope: span.instrumentationScope })))

afterEach(() => {
  otelApi.context.disable()
  otelApi.trace.disable()
})

describe('OpenTelemetry spans', () => {
  it('sends a run span with a GenAI chat span per LLM call, timed from the records', async () => {
    const { exporter, tracer } = memoryTracer()
    const observer = await createOtelObserver({ api: otelApi, tracer })
    expect(await observedRun(new Compare(), ['a', 'b'], inProcessBackend(endpoints()), observer, 4)).toMatch(/./)
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name).sort()).toEqual(['chat fast-model', 'chat fast-model', 'chat smart-model', 'run Compare'])

    const run = spans.find((span) => span.name === 'run Compare')!
    expect(run.kind).toBe(otelApi.SpanKind.INTERNAL)
    expect(run.parentSpanContext).toBeUndefined()
    expect(run.attributes).toEqual({ 'plait.run.id': expect.any(Number), 'plait.pipeline': 'Compare', 'plait.batch.index': 4 })
    expect(run.status.code).toBe(otelApi.SpanStatusCode.UNSET)

    const calls = spans.filter((span) => span.name.startsWith('chat '))
    for (const call of calls) {
      expect(call.kind).toBe(otelApi.SpanKind.CLIENT)
      expect(parentOf(call)).toBe(run.spanContext().spanId)
      expect(call.spanContext().traceId).toBe(run.spanContext().traceId)
      expect(call.status.code).toBe(otelApi.SpanStatusCode.UNSET)
      expect(call.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'simulated',
        'gen_ai.system': 'simulated',
        'plait.run.id': run.attributes['plait.run.id'],
        'plait.attempts': 1,
        'plait.retries': 0,
      })
      expect(call.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
      expect(call.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)
      // Explicit times: inside the run, and as long as the simulated latency.
      expect(ms(call.startTime)).toBeGreaterThanOrEqual(ms(run.startTime))
      expect(ms(call.endTime)).toBeLessThanOrEqual(ms(run.endTime))
      expect(ms(call.endTime) - ms(call.startTime)).toBeGreaterThanOrEqual(12)
      // No content unless asked for.
      expect(Object.keys(call.attributes).filter((key) => /messages|instructions/.test(key))).toEqual([])
    }
    const fast = calls.filter((span) => span.name === 'chat fast-model')
    expect(fast.map((span) => span.attributes['plait.node.id']).sort()).toEqual(['extractor', 'extractor_2'])
    expect(fast[0]!.attributes).toMatchObject({ 'gen_ai.request.model': 'fast-model', 'plait.module': 'extractor', 'plait.alias': 'fast', 'plait.endpoint.kind': 'simulated' })
    const smart = calls.find((span) => span.name === 'chat smart-model')!
    expect(smart.attributes).toMatchObject({ 'gen_ai.request.model': 'smart-model', 'plait.node.id': 'comparer' })
    // The comparer waited for both extractors.
    for (const extractor of fast) expect(ms(smart.startTime)).toBeGreaterThanOrEqual(ms(extractor.endTime) - 1)
    // The two extractors overlapped.
    expect(ms(fast[0]!.startTime)).toBeLessThan(ms(fast[1]!.endTime))
    expect(ms(fast[1]!.startTime)).toBeLessThan(ms(fast[0]!.endTime))
  })

  it('makes the run span a child of the caller’s active span', async () => {
    const { exporter, tracer } = memoryTracer()
    otelApi.context.setGlobalContextManager(new StackContextManager())
    const observer = await createOtelObserver({ api: otelApi, tracer })
    const outer = tracer.startSpan('http request')
    await otelApi.context.with(otelApi.trace.setSpan(otelApi.context.active(), outer), () => observedRun(new Compare(), ['a', 'b'], inProcessBackend(endpoints()), observer))
    outer.end()
    const spans = exporter.getFinishedSpans()
    const run = spans.find((span) => span.name === 'run Compare')!
    expect(parentOf(run)).toBe(outer.spanContext().spanId)
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1)
  })

  it('records failures: status ERROR, error.type, an exception event, on the call and the run', async () => {
    const { exporter, tracer } = memoryTracer()
    const observer = await createOtelObserver({ api: otelApi, tracer })
    const backend = inProcessBackend({
      fast: simulated({ model: 'fast-model', latencyMs: 5 }),
      smart: simulated({ model: 'smart-model', latencyMs: 5, faults: () => ({ status: 400, message: 'bad request from the test' }) }),
    })
    await expect(observedRun(new Compare(), ['a', 'b'], backend, observer)).rejects.toThrow(/bad request/)
    const spans = exporter.getFinishedSpans()
    const failed = spans.find((span) => span.name === 'chat smart-model')!
    expect(failed.status.code).toBe(otelApi.SpanStatusCode.ERROR)
    expect(failed.status.message).toMatch(/Node `comparer` .* failed: .*bad request from the test/)
    expect(failed.attributes['error.type']).toBe('400')
    const exception = failed.events.find((event) => event.name === 'exception')!
    expect(exception.attributes).toMatchObject({ 'exception.type': 'NodeError', 'exception.message': expect.stringMatching(/bad request from the test/) })
    expect(ms(exception.time)).toBeCloseTo(ms(failed.endTime), 3)
    const run = spans.find((span) => span.name === 'run Compare')!
    expect(run.status.code).toBe(otelApi.SpanStatusCode.ERROR)
    expect(run.attributes['error.type']).toBe('400')
    for (const span of spans.filter((candidate) => candidate.name === 'chat fast-model')) expect(span.status.code).toBe(otelApi.SpanStatusCode.UNSET)
  })

  it('adds retries, rate-limit waits and fallbacks as span events at their times', async () => {
    const { exporter, tracer } = memoryTracer()
    const observer = await createOtelObserver({ api: otelApi, tracer })
    await observedRun(new Compare(), ['one [retry]', 'two [paced]'], eventfulBackend(endpoints()), observer)
    const spans = exporter.getFinishedSpans()
    const retried = spans.find((span) => span.attributes['plait.node.id'] === 'extractor')!
    expect(retried.attributes).toMatchObject({ 'plait.attempts': 2, 'plait.retries': 1 })
    const retry = retried.events.find((event) => event.name === 'plait.retry')!
    expect(retry.attributes).toEqual({ 'plait.attempt': 1, 'plait.retry.delay_ms': 15, 'http.response.status_code': 429, 'plait.retry.message': 'simulated 429: slow down' })
    expect(ms(retry.time)).toBeGreaterThan(ms(retried.startTime))
    expect(ms(retry.time)).toBeLessThan(ms(retried.endTime))
    const paced = spans.find((span) => span.attributes['plait.node.id'] === 'extractor_2')!
    expect(paced.events.map((event) => [event.name, event.attributes])).toEqual([['plait.rate_limit_wait', { 'plait.rate_limit.reason': 'rpm', 'plait.rate_limit.wait_ms': 10, 'plait.alias': 'fast' }]])

    // A synthetic fallback, with exact times.
    const synthetic = memoryTracer()
    const exact = await createOtelObserver({ api: otelApi, tracer: synthetic.tracer })
    exact.runStart({ run: 901, startedAt: 1_000 })
    exact.onNode(
      syntheticCall({
        run: 901,
        id: 'c',
        alias: 'fast',
        origin: 1_000,
        startMs: 1,
        endMs: 60,
        events: [
          { type: 'queued', atMs: 1 },
          { type: 'attempt', attempt: 1, atMs: 31 },
          { type: 'fallback', from: 'fast', to: 'smart', attempts: 1, message: 'fast is down', atMs: 40 },
          { type: 'queued', alias: 'smart', atMs: 40 },
          { type: 'attempt', alias: 'smart', attempt: 1, atMs: 41 },
          { type: 'end', alias: 'smart', ok: true, atMs: 59 },
        ],
      }),
    )
    exact.runEnd({ run: 901, endedAt: 1_061, ok: true })
    const [call, run] = synthetic.exporter.getFinishedSpans()
    expect(call!.startTime).toEqual(toOtelTime(1_001))
    expect(call!.endTime).toEqual(toOtelTime(1_060))
    expect(run!.startTime).toEqual(toOtelTime(1_000))
    expect(run!.endTime).toEqual(toOtelTime(1_061))
    expect(call!.events.map((event) => [event.name, event.time, event.attributes])).toEqual([
      ['plait.fallback', toOtelTime(1_040), { 'plait.fallback.from': 'fast', 'plait.fallback.to': 'smart', 'plait.fallback.attempts': 1, 'plait.fallback.message': 'fast is down' }],
    ])
    expect(call!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': 'api.openai.com',
      'server.port': 443,
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 7,
      'plait.attempts': 2,
    })
  })

  it('records request settings and the response model when the node reports them', async () => {
    const { exporter, tracer } = memoryTracer()
    const observer = await createOtelObserver({ api: otelApi, tracer })
    const record = syntheticCall({ run: 903, id: 'a', alias: 'fast', origin: 0, startMs: 0, endMs: 5, events: [] })
    record.details!.responseModel = 'gpt-4o-mini-2024-07-18'
    record.details!.request = { temperature: 0.2, maxTokens: 100, options: { top_p: 0.9, seed: 7, stop: 'END' }, responseFormat: { type: 'json_schema', name: 'x', schema: {} } }
    observer.runStart({ run: 903, startedAt: 0 })
    observer.onNode(record)
    observer.runEnd({ run: 903, endedAt: 6, ok: true })
    const span = exporter.getFinishedSpans().find((candidate) => candidate.name === 'chat gpt-4o-mini')!
    expect(span.attributes).toMatchObject({
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.seed': 7,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.output.type': 'json',
      // Without events: the attempts the node counted.
      'plait.attempts': 1,
    })
  })

  it('records prompts and replies only with recordContent: true, in the GenAI JSON shapes', async () => {
    const plain = memoryTracer()
    const withoutContent = await createOtelObserver({ api: otelApi, tracer: plain.tracer })
    await observedRun(new Compare(), [INPUT, 'b'], inProcessBackend(endpoints()), withoutContent)
    const text = dump(plain.exporter.getFinishedSpans())
    expect(text).not.toContain('SYSTEM-PROMPT-MARKER')
    expect(text).not.toContain('USER-INPUT-MARKER')
    expect(text).not.toMatch(/gen_ai\.(input|output)\.messages|gen_ai\.system_instructions/)

    // Today an LLM call node reports its system prompt (details.system): that much is recorded.
    const opted = memoryTracer()
    const withContent = await createOtelObserver({ api: otelApi, tracer: opted.tracer, recordContent: true })
    await observedRun(new Compare(), [INPUT, 'b'], inProcessBackend(endpoints()), withContent)
    const extractor = opted.exporter.getFinishedSpans().find((span) => span.attributes['plait.node.id'] === 'extractor')!
    expect(JSON.parse(extractor.attributes['gen_ai.system_instructions'] as string)).toEqual([{ type: 'text', content: SYSTEM }])

    // With the messages and the reply on the node (details.messages, details.reply), all three.
    const full = memoryTracer()
    const observer = await createOtelObserver({ api: otelApi, tracer: full.tracer, recordContent: true })
    const record: NodeRecord = syntheticCall({ run: 902, id: 'a', alias: 'fast', origin: 0, startMs: 0, endMs: 5, events: [] })
    record.details!.messages = [
      { role: 'system', content: 'SYSTEM PROMPT TEXT' },
      { role: 'user', content: 'What is 2+2?' },
    ]
    record.details!.reply = 'Four.'
    observer.runStart({ run: 902, startedAt: 0 })
    observer.onNode(record)
    observer.runEnd({ run: 902, endedAt: 6, ok: true })
    const span = full.exporter.getFinishedSpans().find((candidate) => candidate.name.startsWith('chat'))!
    expect(JSON.parse(span.attributes['gen_ai.system_instructions'] as string)).toEqual([{ type: 'text', content: 'SYSTEM PROMPT TEXT' }])
    expect(JSON.parse(span.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'What is 2+2?' }] }])
    expect(JSON.parse(span.attributes['gen_ai.output.messages'] as string)).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Four.' }], finish_reason: 'stop' }])

    // The same record without opting in: none of it.
    const quiet = memoryTracer()
    const off = await createOtelObserver({ api: otelApi, tracer: quiet.tracer })
    off.onNode(record)
    off.flush()
    expect(dump(quiet.exporter.getFinishedSpans())).not.toMatch(/What is 2\+2|Four\.|SYSTEM PROMPT TEXT/)
  })

  it('works from onNode alone: the run span starts at an estimate and ends on flush()', async () => {
    const { exporter, tracer } = memoryTracer()
    const observer = await createOtelObserver({ api: otelApi, tracer })
    const pipeline = new Compare().bind({ endpoints: endpoints() })
    await pipeline.run(['a', 'b'], { onNode: observer.onNode })
    expect(exporter.getFinishedSpans().map((span) => span.name).sort()).toEqual(['chat fast-model', 'chat fast-model', 'chat smart-model'])
    observer.flush()
    const spans = exporter.getFinishedSpans()
    const run = spans.find((span) => span.name === 'run')!
    expect(run.status.code).toBe(otelApi.SpanStatusCode.UNSET)
    for (const call of spans.filter((span) => span.name.startsWith('chat'))) {
      expect(parentOf(call)).toBe(run.spanContext().spanId)
      expect(ms(call.startTime)).toBeGreaterThanOrEqual(ms(run.startTime))
      expect(ms(call.endTime)).toBeLessThanOrEqual(ms(run.endTime) + 1e-3)
    }
    // A run with a failed node ends with status ERROR on flush().
    const failing = new Compare().bind({ endpoints: { ...endpoints(), smart: simulated({ faults: () => ({ status: 400, message: 'down' }) }) } })
    await expect(failing.run(['a', 'b'], { onNode: observer.onNode })).rejects.toThrow(/down/)
    observer.flush()
    const failedRun = exporter.getFinishedSpans().filter((span) => span.name === 'run')[1]!
    expect(failedRun.status.code).toBe(otelApi.SpanStatusCode.ERROR)
    expect(failedRun.attributes['error.type']).toBe('400')
  })

  it('loads @opentelemetry/api itself and uses the global tracer provider when given nothing', async () => {
    const { exporter, provider } = memoryTracer()
    otelApi.trace.setGlobalTracerProvider(provider)
    const observer = await createOtelObserver()
    await observedRun(new Compare(), ['a', 'b'], inProcessBackend(endpoints()), observer)
    const spans = exporter.getFinishedSpans()
    expect(spans).toHaveLength(4)
    expect(spans.every((span) => span.instrumentationScope.name === 'plait')).toBe(true)
  })

  it('rejects with what to install when @opentelemetry/api is missing', async () => {
    vi.resetModules()
    vi.doMock('@opentelemetry/api', () => {
      throw new Error("Cannot find package '@opentelemetry/api'")
    })
    try {
      const fresh = await import('../../runtime/observe/otel.js')
      const error = await fresh.createOtelObserver().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).toMatch(/Expected the `@opentelemetry\/api` package to be installed for telemetry: run `npm install @opentelemetry\/api`/)
      expect((error as Error).cause).toBeDefined()
      // Given the API, nothing is imported.
      const { tracer } = memoryTracer()
      await expect(fresh.createOtelObserver({ api: otelApi, tracer })).resolves.toBeDefined()
    } finally {
      vi.doUnmock('@opentelemetry/api')
      vi.resetModules()
    }
  })

  it('never imports OpenTelemetry statically from the library', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const files: string[] = []
    const walk = (folder: string) => {
      for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
        const path = join(folder, entry.name)
        if (entry.isDirectory()) walk(path)
        else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) files.push(path)
      }
    }
    walk('src')
    walk('runtime')
    const staticImports = files.filter((file) => /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+'@opentelemetry\//m.test(readFileSync(join(root, file), 'utf8')))
    expect(staticImports).toEqual([])
    const dynamic = files.filter((file) => /\bimport\((\s*\/\*[^*]*\*\/)*\s*'@opentelemetry\/api'\s*\)/.test(readFileSync(join(root, file), 'utf8')))
    expect(dynamic).toEqual(['runtime/observe/otel.ts'])
  })

  it('types: the real API and SDK tracers fit the structural types', () => {
    expectTypeOf(otelApi).toExtend<OtelApi>()
    expectTypeOf(memoryTracer().tracer).toExtend<OtelTracer>()
  })

  it('names providers behind OpenAI-compatible URLs', () => {
    expect(providerName('openai', 'https://api.openai.com/v1')).toBe('openai')
    expect(providerName('openai', 'https://my-resource.openai.azure.com/openai')).toBe('azure.ai.openai')
    expect(providerName('openai', 'https://api.groq.com/openai/v1')).toBe('groq')
    expect(providerName('openai', 'https://api.deepseek.com')).toBe('deepseek')
    expect(providerName('openai', 'https://api.x.ai/v1')).toBe('x_ai')
    expect(providerName('openai', 'http://localhost:11434/v1')).toBe('openai')
    expect(providerName('simulated', undefined)).toBe('simulated')
  })
})

/** A synchronous context manager, enough for `context.with()` around the start of a run. */
class StackContextManager implements ContextManager {
  #current: Context = ROOT_CONTEXT
  active(): Context {
    return this.#current
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.#current
    this.#current = context
    try {
      return fn.call(thisArg, ...args)
    } finally {
      this.#current = previous
    }
  }
  bind<T>(_context: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.#current = ROOT_CONTEXT
    return this
  }
}
