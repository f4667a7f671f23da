/**
 * `timeoutMs` per attempt, and AbortSignals: a timed-out attempt fails (retryable, counted as an
 * attempt) with an error naming the limit; an abort stops a whole batch with nothing left in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LLMInference, Module, NodeError, type NodeRecord } from 'plait'
import { defineEndpoint, EndpointError, openai, simulated, type Endpoint } from 'plait/endpoints'
import type { CallEvent } from '../../runtime/events.js'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'
import { waitUntil } from '../support/wait.js'

class Ask extends Module<[string], string> {
  ask = new LLMInference({ alias: 'main', system: 'Answer.' })
  forward(question: string): string {
    return this.ask(question)
  }
}

async function runAsk(endpoint: Endpoint) {
  const records: NodeRecord[] = []
  const started = performance.now()
  const result = await new Ask()
    .bind({ endpoints: { main: endpoint } })
    .run(['q'], { onNode: (record) => records.push(record) })
    .then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
  const events = (records.find((each) => each.id === 'ask')?.details?.events ?? []) as CallEvent[]
  return { result, events, elapsed: performance.now() - started }
}

const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length

describe('timeoutMs', () => {
  it('fails the node with an error naming the node and the limit, after its attempts', async () => {
    const endpoint = simulated({ faults: () => 'hang', timeoutMs: 100, retries: { attempts: 2, baseMs: 1 } })
    const { result, events, elapsed } = await runAsk(endpoint)
    const error = (result as { error: NodeError }).error
    expect(error).toBeInstanceOf(NodeError)
    expect(error.nodeId).toBe('ask')
    expect(error.message).toMatch(/^Node `ask` \(call in module `ask`, .*\) failed: gave up after 2 attempts at `main`: simulated "simulated": the request timed out after 100ms \(timeoutMs\)$/)
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(2_000)
    expect(events.filter((event) => event.type === 'retry')).toMatchObject([{ status: undefined, message: expect.stringMatching(/timed out after 100ms/) }])
    expect(endpoint.stats).toMatchObject({ requests: 2, inFlight: 0 })
  })

  it('is retryable and counted as an attempt: a hang then an answer succeeds', async () => {
    const endpoint = simulated({ faults: { sequence: ['hang', 'ok'] }, timeoutMs: 100, retries: { baseMs: 1 }, reply: 'late but fine' })
    const { result, events } = await runAsk(endpoint)
    expect(result).toEqual({ ok: true, value: 'late but fine' })
    expect(events.filter((event) => event.type === 'attempt')).toHaveLength(2)
  })

  it('without retries the timeout error itself fails the node', async () => {
    const { result } = await runAsk(simulated({ faults: () => 'hang', timeoutMs: 80, retries: false }))
    const error = (result as { error: NodeError }).error
    expect(error.cause).toBeInstanceOf(EndpointError)
    expect(error.cause).toMatchObject({ retryable: true, status: undefined })
    expect(error.message).toMatch(/failed: simulated "simulated": the request timed out after 80ms \(timeoutMs\)$/)
  })

  it('fails the attempt even when complete ignores its signal', async () => {
    const stubborn = defineEndpoint({ kind: 'stubborn', model: 'm', timeoutMs: 50, retries: false, complete: () => new Promise(() => {}) })
    const { result, elapsed } = await runAsk(stubborn)
    expect(String((result as { error: Error }).error.message)).toMatch(/stubborn "m": the request timed out after 50ms/)
    expect(elapsed).toBeLessThan(1_000)
  })

  it('applies to direct complete() calls too', async () => {
    const endpoint = simulated({ latencyMs: 5_000, timeoutMs: 30 })
    await expect(endpoint.complete({ messages: [{ role: 'user', content: 'x' }] }, { signal: new AbortController().signal })).rejects.toThrow(/timed out after 30ms \(timeoutMs\)/)
    expect(endpoint.stats.inFlight).toBe(0)
  })
})

describe('abort', () => {
  it('stops a batch: every item settles quickly as aborted, nothing left in flight or waiting', async () => {
    const before = timers()
    // Some items run (slow), some wait for a slot, some for the rpm bucket.
    const endpoint = simulated({ latencyMs: 10_000, maxConcurrent: 4, rpm: 600, burst: 2 })
    const pipeline = new Ask().bind({ endpoints: { main: endpoint } })
    const controller = new AbortController()
    const reason = new Error('batch cancelled')
    const running = pipeline.batch(
      Array.from({ length: 50 }, (_, index): [string] => [`q${index}`]),
      { signal: controller.signal },
    )
    await waitUntil(() => endpoint.stats.inFlight === 4, { message: 'four requests in flight' })
    expect(endpoint.load.queued).toBe(46)
    const abortedAt = performance.now()
    controller.abort(reason)
    const items = await running
    expect(performance.now() - abortedAt).toBeLessThan(500)
    expect(items).toHaveLength(50)
    expect(items.every((item) => !item.ok && item.error === reason)).toBe(true)
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
    expect(endpoint.stats.inFlight).toBe(0)
    expect(endpoint.stats.requests).toBe(4)
    // No pacing timer and no simulated latency timer left behind.
    expect(timers()).toBeLessThanOrEqual(before)
  })

  describe('over HTTP', () => {
    let server: MockOpenAIServer
    beforeAll(async () => {
      server = await startMockOpenAIServer({ reply: () => ({ hang: true }) })
    })
    afterAll(async () => {
      await server.close()
    })

    it('aborts in-flight requests at the server and drops the queued ones', async () => {
      const endpoint = openai({ model: 'm', baseURL: server.url, apiKey: 'k', maxConcurrent: 3, timeoutMs: 60_000 })
      const pipeline = new Ask().bind({ endpoints: { main: endpoint } })
      const controller = new AbortController()
      const running = pipeline.batch(
        Array.from({ length: 10 }, (_, index): [string] => [`q${index}`]),
        { signal: controller.signal },
      )
      await waitUntil(() => server.stats.inFlight === 3, { message: 'three requests at the server' })
      controller.abort()
      const items = await running
      expect(items.every((item) => !item.ok && (item.error as Error).name === 'AbortError')).toBe(true)
      await server.whenIdle()
      expect(server.stats.requests).toBe(3)
      expect(server.log.every((entry) => entry.clientClosed)).toBe(true)
      expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
    })

    it('a timed-out request is closed at the server before its retry arrives', async () => {
      server.reset()
      const endpoint = openai({ model: 'm', baseURL: server.url, apiKey: 'k', maxConcurrent: 1, timeoutMs: 100, retries: { attempts: 3, baseMs: 1 } })
      const { result } = await runAsk(endpoint)
      expect(String((result as { error: Error }).error.message)).toMatch(/gave up after 3 attempts at `main`: openai "m" at .*: the request timed out after 100ms \(timeoutMs\)/)
      await server.whenIdle()
      expect(server.stats.requests).toBe(3)
      expect(server.stats.maxInFlight).toBe(1)
      expect(server.log.every((entry) => entry.clientClosed)).toBe(true)
    })
  })
})
