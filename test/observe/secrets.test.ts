import * as otelApi from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import { inProcessBackend } from '../../runtime/backend.js'
import { combineObservers, createOtelObserver, createTraceRecorder } from '../../runtime/observe/index.js'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'
import { checkTrace, observedRun, syntheticCall } from './support.js'

const KEY = 'sk-test-PLAITSECRET-0123456789'
const HEADER = 'hdr-PLAITSECRET-header'
const SECRET = /PLAITSECRET/

class Compare extends Module<[string, string], string> {
  extractor = new LLMInference({ alias: 'fast', system: 'Extract.' })
  comparer = new LLMInference({ alias: 'smart', system: 'Compare.' })
  forward(a: string, b: string): string {
    return this.comparer(`${this.extractor(a)} / ${this.extractor(b)}`)
  }
}

let server: MockOpenAIServer
const authorizations = new Set<string | undefined>()
beforeAll(async () => {
  server = await startMockOpenAIServer({
    latencyMs: 5,
    reply: (body, { headers }) => {
      authorizations.add(headers.authorization)
      const text = body.messages.map((message) => String(message.content)).join(' ')
      if (!text.includes('FAIL')) return undefined
      // A server that echoes the credentials it got into its error.
      return { status: 401, body: { error: { message: `Incorrect API key provided: ${headers.authorization} (${headers['x-api-key']})`, type: 'invalid_request_error', code: 'invalid_api_key' } } }
    },
  })
})
afterAll(async () => {
  await server.close()
})

function memoryTracer() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, tracer: provider.getTracer('test') }
}

describe('no secret in traces or spans', () => {
  it('keeps the key of openai({ apiKey }) out of the trace JSON and every span, even when the server echoes it', async () => {
    const endpoint = (model: string) => openai({ model, apiKey: KEY, baseURL: server.url, defaultHeaders: { 'x-api-key': HEADER }, maxConcurrent: 4 })
    const backend = inProcessBackend({ fast: endpoint('gpt-fast'), smart: endpoint('gpt-smart') })
    const trace = createTraceRecorder()
    const { exporter, tracer } = memoryTracer()
    // Content recording on: not even prompts and replies may carry the key.
    const telemetry = await createOtelObserver({ api: otelApi, tracer, recordContent: true })
    const observer = combineObservers(trace, telemetry)

    await observedRun(new Compare(), ['a', 'b'], backend, observer)
    await expect(observedRun(new Compare(), ['FAIL', 'b'], backend, observer)).rejects.toThrow(/Incorrect API key provided: Bearer \[redacted\]/)
    // The key was really in use.
    expect(authorizations).toContain(`Bearer ${KEY}`)

    const json = JSON.stringify(trace.toJSON())
    const { shape } = checkTrace(json)
    expect(json).not.toMatch(SECRET)
    expect(JSON.stringify(trace.summary())).not.toMatch(SECRET)
    // The failure is there, scrubbed.
    const failed = shape.slices.find((slice) => slice.cat === 'call' && slice.args!.state === 'failed')!
    expect(failed.args!.error).toMatch(/401 Incorrect API key provided: Bearer \[redacted\]/)
    expect(failed.args!.baseURL).toBe(server.url)

    const spans = exporter.getFinishedSpans()
    expect(spans.length).toBeGreaterThanOrEqual(6)
    const text = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, resource: span.resource.attributes })))
    expect(text).not.toMatch(SECRET)
    expect(text).toMatch(/Incorrect API key provided: Bearer \[redacted\]/)
    expect(spans.find((span) => span.status.code === otelApi.SpanStatusCode.ERROR && span.name.startsWith('chat'))!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-fast',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'error.type': '401',
    })
  })

  it('scrubs key-shaped text and URL credentials that a backend or custom endpoint lets through', async () => {
    const record = syntheticCall({
      run: 950,
      id: 'leaky',
      alias: 'fast',
      origin: 0,
      startMs: 0,
      endMs: 10,
      state: 'failed',
      error: new Error(`upstream said: key ${KEY} rejected (Authorization: Bearer PLAITSECRET-token)`),
      events: [
        { type: 'queued', atMs: 0 },
        { type: 'attempt', attempt: 1, atMs: 1 },
        { type: 'retry', attempt: 1, delayMs: 1, status: 500, message: `500 for ${KEY}`, atMs: 3 },
        { type: 'attempt', attempt: 2, atMs: 4 },
        { type: 'end', ok: false, atMs: 9 },
      ],
    })
    record.details!.endpoint = { kind: 'custom', model: 'm', baseURL: `https://user:${HEADER}@llm.example.com/v1?key=${HEADER}` }
    const trace = createTraceRecorder()
    const { exporter, tracer } = memoryTracer()
    const telemetry = await createOtelObserver({ api: otelApi, tracer })
    const observer = combineObservers(trace, telemetry)
    observer.runStart!({ run: 950, startedAt: 0 })
    observer.onNode(record)
    observer.runEnd!({ run: 950, endedAt: 11, ok: false, error: record.error })

    const json = JSON.stringify(trace.toJSON())
    expect(json).not.toMatch(SECRET)
    expect(json).toContain('https://llm.example.com/v1')
    expect(json).toContain('500 for [redacted]')
    const spans = exporter.getFinishedSpans()
    const text = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status })))
    expect(text).not.toMatch(SECRET)
    expect(spans.find((span) => span.name === 'chat m')!.attributes).toMatchObject({ 'server.address': 'llm.example.com', 'server.port': 443, 'gen_ai.provider.name': 'custom' })
  })
})
