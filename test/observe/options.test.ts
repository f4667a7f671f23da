/** The user-facing options: `profile` on run/batch/stream and `telemetry` on bind(). */
import * as otelApi from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LLMInference, Module } from 'plait'
import { simulated } from 'plait/endpoints'
import type { OtelApi } from '../../runtime/observe/index.js'

class Pair extends Module<[string], string> {
  left = new LLMInference({ alias: 'fast', system: 'L' })
  right = new LLMInference({ alias: 'smart', system: 'R' })
  forward(input: string): string {
    return `${this.left(input)} ${this.right(input)}`
  }
}
const endpoints = () => ({ fast: simulated({ model: 'fast-model', latencyMs: 5 }), smart: simulated({ model: 'smart-model', latencyMs: 10 }) })

describe('profile option', () => {
  it('writes a Chrome trace for a run, also when it fails, and one for a whole batch', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'plait-profile-'))
    const pipeline = new Pair().bind({ endpoints: endpoints() })
    await pipeline.run(['x'], { profile: join(folder, 'run.json') })
    const run = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as { traceEvents: Array<{ ph: string; name: string; args?: Record<string, unknown> }> }
    const names = run.traceEvents.filter((event) => event.ph === 'M' && event.name === 'process_name').map((event) => event.args?.name)
    expect(names).toEqual(expect.arrayContaining([expect.stringContaining('fast'), expect.stringContaining('smart')]))
    expect(run.traceEvents.filter((event) => event.ph === 'B').length).toBeGreaterThanOrEqual(2)

    await pipeline.batch([['a'], ['b'], ['c']], { profile: join(folder, 'batch.json') })
    const batch = JSON.parse(readFileSync(join(folder, 'batch.json'), 'utf8')) as { traceEvents: Array<{ ph: string; name: string }> }
    expect(batch.traceEvents.filter((event) => event.ph === 'B' && (event.name === 'left' || event.name === 'right'))).toHaveLength(6)

    const failing = new Pair().bind({ endpoints: { fast: simulated({ faults: () => '500' }), smart: simulated() } })
    await expect(failing.run(['x'], { profile: join(folder, 'failed.json') })).rejects.toThrow()
    expect(JSON.parse(readFileSync(join(folder, 'failed.json'), 'utf8')).traceEvents.length).toBeGreaterThan(0)
    await expect(pipeline.run(['x'], { profile: '' })).rejects.toThrow(/Expected `profile` to be a file path/)
  })
})

describe('telemetry option', () => {
  it('sends GenAI spans for every run and call to the given tracer', async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const pipeline = new Pair().bind({ endpoints: endpoints(), telemetry: { api: otelApi as unknown as OtelApi, tracer: provider.getTracer('test') as never } })
    await pipeline('x')
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name).sort()).toEqual(['chat fast-model', 'chat smart-model', 'run Pair'])
    const chat = spans.find((span) => span.name === 'chat fast-model')!
    expect(chat.attributes['gen_ai.request.model']).toBe('fast-model')
    expect(chat.attributes['gen_ai.input.messages']).toBeUndefined()
    expect(() => new Pair().bind({ endpoints: endpoints(), telemetry: 'yes' as never })).toThrow(/Expected `telemetry` to be a boolean/)
  })
})
