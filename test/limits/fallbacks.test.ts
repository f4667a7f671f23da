/**
 * Fallbacks: when an endpoint's attempts are used up, its `fallbacks` are tried in order; the
 * record names the endpoint that answered, and the call's events say what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LLMInference, Module, NodeError, type NodeRecord } from 'plait'
import { EndpointError, openai, RetriesExhaustedError, simulated, type Endpoint } from 'plait/endpoints'
import { inProcessBackend } from '../../runtime/backend.js'
import type { CallEvent } from '../../runtime/events.js'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'

class Ask extends Module<[string], string> {
  ask = new LLMInference({ alias: 'main', system: 'Answer.' })
  forward(question: string): string {
    return this.ask(question)
  }
}

async function runAsk(endpoints: Record<string, Endpoint>) {
  const records: NodeRecord[] = []
  const result = await new Ask()
    .bind({ endpoints })
    .run(['q'], { onNode: (record) => records.push(record) })
    .then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
  const record = records.find((each) => each.id === 'ask')!
  return { result, record, events: (record.details?.events ?? []) as CallEvent[] }
}

describe('fallbacks', () => {
  let server: MockOpenAIServer
  beforeAll(async () => {
    server = await startMockOpenAIServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it('primary always 500s: the fallback answers, and the record names it', async () => {
    server.setHandler((body) => (body.model === 'primary-model' ? { status: 500 } : `answer from ${body.model}`))
    const { result, record, events } = await runAsk({
      main: openai({ model: 'primary-model', baseURL: server.url, apiKey: 'k', retries: { attempts: 2, baseMs: 1 }, fallbacks: ['backup'] }),
      backup: openai({ model: 'backup-model', baseURL: server.url, apiKey: 'k' }),
    })
    expect(result).toEqual({ ok: true, value: 'answer from backup-model' })
    expect(record.details?.endpoint).toEqual({ kind: 'openai', model: 'backup-model', baseURL: server.url })
    expect(events.map((event) => [event.type, 'alias' in event ? event.alias : `${event.from}->${event.to}`])).toEqual([
      ['queued', 'main'],
      ['attempt', 'main'],
      ['retry', 'main'],
      ['queued', 'main'],
      ['attempt', 'main'],
      ['fallback', 'main->backup'],
      ['queued', 'backup'],
      ['attempt', 'backup'],
      ['end', 'backup'],
    ])
    const fallback = events.find((event) => event.type === 'fallback')!
    expect(fallback).toMatchObject({ attempts: 2, message: expect.stringMatching(/500/) })
    expect(events.find((event) => event.type === 'attempt' && event.alias === 'backup')).toMatchObject({ attempt: 1, endpoint: { model: 'backup-model' } })
    expect(events.at(-1)).toMatchObject({ type: 'end', ok: true })
    const times = events.map((event) => event.at)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(server.stats.perModel['primary-model']?.requests).toBe(2)
    expect(server.stats.perModel['backup-model']?.requests).toBe(1)
  })

  it('tries fallbacks in order, and reports every endpoint when all give up', async () => {
    const down = (model: string, attempts: number) => simulated({ model, faults: () => '500', retries: { attempts, baseMs: 1 } })
    const main = simulated({ model: 'main-m', faults: () => '500', retries: { attempts: 2, baseMs: 1 }, fallbacks: ['second', 'third'] })
    const second = down('second-m', 3)
    const third = down('third-m', 1)
    const { result, events } = await runAsk({ main, second, third })
    const error = (result as { error: NodeError }).error
    expect(error).toBeInstanceOf(NodeError)
    expect(error.message).toMatch(/failed: gave up after 2 attempts at `main`, then 3 attempts at fallback `second`, then 1 attempt at fallback `third`: simulated "third-m": 500/)
    const cause = error.cause as RetriesExhaustedError
    expect(cause.attempts).toBe(6)
    expect(cause.failures.map((failure) => [failure.alias, failure.attempts])).toEqual([
      ['main', 2],
      ['second', 3],
      ['third', 1],
    ])
    expect([main.stats.requests, second.stats.requests, third.stats.requests]).toEqual([2, 3, 1])
    expect(events.filter((event) => event.type === 'fallback').map((event) => [event.from, event.to])).toEqual([
      ['main', 'second'],
      ['second', 'third'],
    ])
    expect(events.at(-1)).toMatchObject({ type: 'end', ok: false, alias: 'third' })
  })

  it('does not follow the fallback’s own fallbacks', async () => {
    const main = simulated({ faults: () => '500', retries: false, fallbacks: ['backup'] })
    const backup = simulated({ faults: () => '500', retries: false, fallbacks: ['last'] })
    const last = simulated()
    const { result } = await runAsk({ main, backup, last })
    expect(result.ok).toBe(false)
    expect(last.stats.requests).toBe(0)
  })

  it('falls back at once when the server asks to wait longer than retries.maxMs', async () => {
    const main = simulated({ faults: () => ({ status: 429, retryAfterMs: 120_000 }), retries: { maxMs: 5_000 }, fallbacks: ['backup'] })
    const backup = simulated({ model: 'backup', reply: 'from backup' })
    const started = performance.now()
    const { result, events } = await runAsk({ main, backup })
    expect(result).toEqual({ ok: true, value: 'from backup' })
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(events.find((event) => event.type === 'fallback')).toMatchObject({ attempts: 1, message: expect.stringMatching(/asked to wait 120000ms, more than retries\.maxMs/) })
  })

  it('does not fall back on errors no endpoint can fix', async () => {
    const main = simulated({ faults: () => ({ status: 400, message: 'bad request' }), fallbacks: ['backup'] })
    const backup = simulated()
    const { result, events } = await runAsk({ main, backup })
    const cause = (result as { error: NodeError }).error.cause
    expect(cause).toBeInstanceOf(EndpointError)
    expect(cause).toMatchObject({ status: 400 })
    expect(backup.stats.requests).toBe(0)
    expect(events.some((event) => event.type === 'fallback')).toBe(false)
  })

  it('says which alias answered in the backend outcome', async () => {
    const backend = inProcessBackend({ main: simulated({ faults: () => '500', retries: false, fallbacks: ['backup'] }), backup: simulated({ model: 'b' }) })
    const outcome = await backend.complete('main', { messages: [{ role: 'user', content: 'hi' }] }, { signal: new AbortController().signal })
    expect(outcome).toMatchObject({ alias: 'backup', attempts: 2, endpoint: { kind: 'simulated', model: 'b' } })
  })

  it('rejects an unbound fallback alias when the pipeline is bound', () => {
    expect(() => new Ask().bind({ endpoints: { main: simulated({ fallbacks: ['nowhere'] }) } })).toThrow(/Expected fallback `nowhere` of endpoint `main` to be bound too/)
  })
})
