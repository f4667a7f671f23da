/**
 * Retries at the leaf call: 429, 5xx, timeouts and connection errors are retried with backoff
 * (at least the server's retry-after), a bounded number of times; permanent errors are not.
 * Over real HTTP where it matters (the SDK's own retries must stay off).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LLMInference, Module, NodeError, type NodeRecord } from 'plait'
import { defineEndpoint, EndpointError, openai, RetriesExhaustedError, simulated, type Endpoint } from 'plait/endpoints'
import type { CallEvent } from '../../runtime/events.js'
import { startMockOpenAIServer, type MockChatBody, type MockOpenAIServer } from '../support/openai-server.js'

let server: MockOpenAIServer
beforeAll(async () => {
  server = await startMockOpenAIServer()
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  server.setHandler(undefined)
  await server.whenIdle()
  server.reset()
})

class Ask extends Module<[string], string> {
  ask = new LLMInference({ alias: 'main', system: 'Answer.' })
  forward(question: string): string {
    return this.ask(question)
  }
}

const lastUser = (body: MockChatBody) => String(body.messages.at(-1)?.content ?? '')

/** Runs Ask once and keeps the call node's record. */
async function runAsk(endpoint: Endpoint, question = 'q', signal?: AbortSignal) {
  const records: NodeRecord[] = []
  const pipeline = new Ask().bind({ endpoints: { main: endpoint } })
  const started = performance.now()
  const result = await pipeline.run([question], { onNode: (record) => records.push(record), ...(signal ? { signal } : {}) }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  const record = records.find((each) => each.id === 'ask')
  const events = (record?.details?.events ?? []) as CallEvent[]
  return { result, record, events, elapsed: performance.now() - started }
}

const http = (options: Partial<Parameters<typeof openai>[0]> = {}) => openai({ model: 'm', baseURL: server.url, apiKey: 'sk-test-retries', ...options })

describe('retries', () => {
  it('429 twice then success: the node succeeds, records 2 retries, and waited at least retry-after', async () => {
    let seen = 0
    server.setHandler(() => (++seen <= 2 ? { status: 429, headers: { 'retry-after-ms': '300' } } : 'fine'))
    const { result, events, elapsed, record } = await runAsk(http({ retries: { baseMs: 10 } }))
    expect(result).toEqual({ ok: true, value: 'fine' })
    const retries = events.filter((event): event is Extract<CallEvent, { type: 'retry' }> => event.type === 'retry')
    expect(retries).toHaveLength(2)
    for (const retry of retries) {
      expect(retry).toMatchObject({ alias: 'main', status: 429, retryAfterMs: 300 })
      expect(retry.delayMs).toBeGreaterThanOrEqual(300)
    }
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2])
    expect(events.filter((event) => event.type === 'attempt').map((event) => (event as { attempt: number }).attempt)).toEqual([1, 2, 3])
    expect(events.at(-1)).toMatchObject({ type: 'end', ok: true, alias: 'main' })
    expect(elapsed).toBeGreaterThanOrEqual(600)
    // The attempts really were 300 ms apart at the server.
    const arrivals = server.log.map((entry) => entry.startedAt)
    expect(arrivals).toHaveLength(3)
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(295)
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(295)
    expect(record?.details?.endpoint).toMatchObject({ kind: 'openai', model: 'm' })
  })

  it('persistent 429s fail after the configured attempts, with an error that says so', async () => {
    server.setHandler(() => ({ status: 429, headers: { 'retry-after-ms': '5' } }))
    const { result, events } = await runAsk(http({ retries: { attempts: 3, baseMs: 5, maxMs: 20 } }))
    expect(result.ok).toBe(false)
    const error = (result as { error: unknown }).error as NodeError
    expect(error).toBeInstanceOf(NodeError)
    expect(error.message).toMatch(/^Node `ask` \(call in module `ask`, made at .*\) failed: gave up after 3 attempts at `main`: openai "m" at http:\/\/127\.0\.0\.1:\d+\/v1: 429 Rate limit reached/)
    expect(error.message).not.toContain('sk-test-retries')
    const cause = error.cause as RetriesExhaustedError
    expect(cause).toBeInstanceOf(RetriesExhaustedError)
    expect(cause).toBeInstanceOf(EndpointError)
    expect(cause).toMatchObject({ attempts: 3, status: 429 })
    expect(cause.failures).toHaveLength(1)
    expect(server.stats.requests).toBe(3)
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(2)
    expect(events.at(-1)).toMatchObject({ type: 'end', ok: false })
  })

  it('keeps the SDK retries off: exactly `attempts` requests reach the server', async () => {
    server.setHandler(() => ({ status: 500 }))
    const { result } = await runAsk(http({ retries: { attempts: 2, baseMs: 1 } }))
    expect(result.ok).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.stats.requests).toBe(2)
    expect(String((result as { error: Error }).error.message)).toMatch(/gave up after 2 attempts at `main`: .*500/)
  })

  it.each([400, 401, 403, 404, 422])('does not retry a %i', async (status) => {
    server.setHandler(() => ({ status }))
    const { result, events } = await runAsk(http({ retries: { attempts: 4, baseMs: 1 } }))
    const error = (result as { error: NodeError }).error
    expect(error.cause).toBeInstanceOf(EndpointError)
    expect(error.cause).not.toBeInstanceOf(RetriesExhaustedError)
    expect(error.cause).toMatchObject({ status, retryable: false })
    expect(server.stats.requests).toBe(1)
    expect(events.map((event) => event.type)).toEqual(['queued', 'attempt', 'end'])
  })

  it('retries 5xx and connection errors, then succeeds', async () => {
    const endpoint = simulated({ faults: { sequence: ['500', { status: 503 }, { status: 502 }, 'ok'] }, retries: { baseMs: 1 }, reply: 'done' })
    const { result, events } = await runAsk(endpoint)
    expect(result).toEqual({ ok: true, value: 'done' })
    expect(events.filter((event) => event.type === 'retry').map((event) => (event as { status?: number }).status)).toEqual([500, 503, 502])
    expect(endpoint.stats.requests).toBe(4)

    const gone = await startMockOpenAIServer()
    const url = gone.url
    await gone.close()
    const refused = await runAsk(openai({ model: 'm', baseURL: url, apiKey: 'k', retries: { attempts: 2, baseMs: 1 } }))
    expect(String((refused.result as { error: Error }).error.message)).toMatch(/gave up after 2 attempts at `main`: openai "m" at .*Connection error/)
  })

  it('does not retry errors no retry can fix (invalid replies, TypeErrors)', async () => {
    let calls = 0
    const broken = defineEndpoint({
      kind: 'broken',
      model: 'm',
      complete: async () => {
        calls++
        return { text: 42 } as never
      },
    })
    const { result } = await runAsk(broken)
    expect((result as { error: NodeError }).error.cause).toBeInstanceOf(TypeError)
    expect(calls).toBe(1)
  })

  it('gives up at once when the server asks to wait longer than retries.maxMs', async () => {
    const endpoint = simulated({ faults: { sequence: [{ status: 429, retryAfterMs: 60_000 }] }, retries: { maxMs: 1_000 } })
    const { result, elapsed } = await runAsk(endpoint)
    const message = String((result as { error: Error }).error.message)
    expect(message).toMatch(/gave up after 1 attempt at `main` \(the server asked to wait 60000ms, more than retries\.maxMs \(1000ms\)\): simulated "simulated": 429/)
    expect(elapsed).toBeLessThan(1_000)
    expect(endpoint.stats.requests).toBe(1)
  })

  it('gives the error unchanged when retries are off', async () => {
    const endpoint = simulated({ faults: { sequence: ['500'] }, retries: false })
    const { result } = await runAsk(endpoint)
    const cause = (result as { error: NodeError }).error.cause
    expect(cause).toBeInstanceOf(EndpointError)
    expect(cause).not.toBeInstanceOf(RetriesExhaustedError)
    expect(endpoint.stats.requests).toBe(1)
  })

  it('stops a backoff sleep at once when the run is aborted', async () => {
    const endpoint = simulated({ faults: { sequence: [{ status: 429, retryAfterMs: 10_000 }] }, retries: { maxMs: 60_000 } })
    const controller = new AbortController()
    const reason = new Error('user stop')
    const running = runAsk(endpoint, 'q', controller.signal)
    await new Promise((resolve) => setTimeout(resolve, 50))
    controller.abort(reason)
    const { result, elapsed, events } = await running
    expect((result as { error: unknown }).error).toBe(reason)
    expect(elapsed).toBeLessThan(1_000)
    expect(events.map((event) => event.type)).toEqual(['queued', 'attempt', 'retry', 'end'])
    expect(endpoint.stats.requests).toBe(1)
  })

  it('retries a request whose server handler throws (500 from the mock), keyed per question', async () => {
    const attemptsPer = new Map<string, number>()
    server.setHandler((body) => {
      const question = lastUser(body)
      const count = (attemptsPer.get(question) ?? 0) + 1
      attemptsPer.set(question, count)
      return count === 1 ? { status: 500 } : `ok ${question}`
    })
    const pipeline = new Ask().bind({ endpoints: { main: http({ retries: { baseMs: 1 } }) } })
    const items = await pipeline.batch([['a'], ['b'], ['c']])
    expect(items.map((item) => item.ok && item.value)).toEqual(['ok a', 'ok b', 'ok c'])
    expect([...attemptsPer.values()]).toEqual([2, 2, 2])
  })
})
