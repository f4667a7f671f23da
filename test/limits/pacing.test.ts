/**
 * Requests and tokens per minute: token buckets paced before each request, shared by everything
 * using the endpoint object, waiting without holding a slot, abortable, and free when unused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LLMInference, Module } from 'plait'
import { inProcessBackend } from '../../runtime/backend.js'
import type { CallEvent } from '../../runtime/events.js'
import { defineEndpoint, simulated, type CompletionRequest, type Endpoint } from '../../runtime/endpoints/index.js'

const ask = (content: string, maxTokens?: number): CompletionRequest => ({
  messages: [{ role: 'user', content }],
  ...(maxTokens === undefined ? {} : { maxTokens }),
})

/** Calls `alias` through an in-process backend and keeps the call's events. */
function call(endpoints: Record<string, Endpoint>, alias: string, request: CompletionRequest, signal = new AbortController().signal, priority?: number) {
  const events: CallEvent[] = []
  const backend = inProcessBackend(endpoints)
  const done = backend.complete(alias, request, { signal, onEvent: (event) => events.push(event), ...(priority === undefined ? {} : { priority }) })
  return { events, done, startedAt: () => events.find((event) => event.type === 'attempt')?.at }
}

const useFakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'performance'] })

afterEach(() => {
  vi.useRealTimers()
})

describe('rpm', () => {
  it('at 60 rpm with burst 1 starts 5 queued calls about a second apart (real time)', async () => {
    const endpoint = simulated({ rpm: 60, burst: 1 })
    const calls = Array.from({ length: 5 }, (_, index) => call({ main: endpoint }, 'main', ask(`q${index}`)))
    await Promise.all(calls.map((each) => each.done))
    const starts = calls.map((each) => each.startedAt()!)
    const gaps = starts.slice(1).map((start, index) => start - starts[index]!)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(900)
    expect(starts.at(-1)! - starts[0]!).toBeLessThan(6_000)
    expect(endpoint.stats.requests).toBe(5)
  }, 15_000)

  it('paces any positive rate: 30 rpm is one request every 2 s', async () => {
    useFakeClock()
    const endpoint = simulated({ rpm: 30 })
    const t0 = performance.now()
    const first = call({ main: endpoint }, 'main', ask('a'))
    const second = call({ main: endpoint }, 'main', ask('b'))
    await vi.advanceTimersByTimeAsync(0)
    expect(first.startedAt()).toBe(t0)
    await vi.advanceTimersByTimeAsync(1_990)
    expect(second.startedAt()).toBeUndefined()
    await vi.advanceTimersByTimeAsync(20)
    expect(second.startedAt()! - t0).toBeGreaterThanOrEqual(2_000)
    expect(second.startedAt()! - t0).toBeLessThan(2_010)
    await Promise.all([first.done, second.done])
  })

  it('waits without holding a slot, and reports the wait as a rate-limit-wait event', async () => {
    useFakeClock()
    const endpoint = simulated({ rpm: 60, burst: 1, maxConcurrent: 1 })
    const first = call({ main: endpoint }, 'main', ask('a'))
    const second = call({ main: endpoint }, 'main', ask('b'))
    await vi.advanceTimersByTimeAsync(500)
    // The first is done; the second waits for the bucket, in the queue, not in a slot.
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 1 })
    expect(endpoint.stats.inFlight).toBe(0)
    await vi.advanceTimersByTimeAsync(600)
    await Promise.all([first.done, second.done])
    expect(first.events.map((event) => event.type)).toEqual(['queued', 'attempt', 'end'])
    expect(second.events.map((event) => event.type)).toEqual(['queued', 'rate-limit-wait', 'attempt', 'end'])
    const [queued, wait, attempt] = second.events as [CallEvent & { type: 'queued' }, CallEvent & { type: 'rate-limit-wait' }, CallEvent & { type: 'attempt' }]
    expect(wait).toMatchObject({ alias: 'main', reason: 'rpm' })
    expect(wait.waitMs).toBeGreaterThanOrEqual(990)
    expect(wait.waitMs).toBeLessThanOrEqual(1_010)
    expect(wait.at).toBeGreaterThanOrEqual(queued.at)
    expect(wait.at + wait.waitMs).toBeCloseTo(attempt.at, 5)
  })

  it('is shared by every pipeline and run bound to the endpoint object', async () => {
    useFakeClock()
    class One extends Module<[string], string> {
      a = new LLMInference({ alias: 'main' })
      forward(input: string): string {
        return this.a(input)
      }
    }
    const endpoint = simulated({ rpm: 60, burst: 1 })
    const p1 = new One().bind({ endpoints: { main: endpoint } })
    const p2 = new One().bind({ endpoints: { main: endpoint } })
    const t0 = performance.now()
    const done: number[] = []
    const runs = [p1('x'), p2('y'), p1.batch([['z']])].map((promise) => promise.then(() => done.push(performance.now() - t0)))
    await vi.advanceTimersByTimeAsync(2_100)
    await Promise.all(runs)
    expect(done.map((ms) => Math.round(ms / 1_000))).toEqual([0, 1, 2])
  })

  it('admits higher priority first when paced', async () => {
    useFakeClock()
    const endpoint = simulated({ rpm: 60, burst: 1 })
    const order: string[] = []
    const calls = [
      call({ main: endpoint }, 'main', ask('first')),
      call({ main: endpoint }, 'main', ask('low'), undefined, 0),
      call({ main: endpoint }, 'main', ask('high'), undefined, 5),
    ]
    for (const [index, each] of calls.entries()) void each.done.then(() => order.push(['first', 'low', 'high'][index]!))
    await vi.advanceTimersByTimeAsync(2_100)
    await Promise.all(calls.map((each) => each.done))
    expect(order).toEqual(['first', 'high', 'low'])
  })

  it('stops waiting when aborted: rejects with the reason, leaves the queue, leaves no timer', async () => {
    useFakeClock()
    const endpoint = simulated({ rpm: 6, burst: 1 })
    const first = call({ main: endpoint }, 'main', ask('a'))
    await first.done
    const controller = new AbortController()
    const waiting = Array.from({ length: 3 }, () => call({ main: endpoint }, 'main', ask('b'), controller.signal))
    await vi.advanceTimersByTimeAsync(100)
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 3 })
    expect(vi.getTimerCount()).toBe(1)
    const reason = new Error('stop')
    controller.abort(reason)
    for (const each of waiting) {
      await expect(each.done).rejects.toBe(reason)
      expect(each.events.map((event) => event.type)).toEqual(['queued', 'end'])
    }
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
    expect(vi.getTimerCount()).toBe(0)
    expect(endpoint.stats.requests).toBe(1)
  })
})

describe('tpm', () => {
  it('charges an estimate before the request and corrects it with the reported usage', async () => {
    useFakeClock()
    // 60,000 tpm = 1 token per ms; the bucket holds 1,000. Each request is estimated at
    // 100 (400 characters) + 900 (maxTokens) = 1,000 tokens.
    const request = ask('x'.repeat(400), 900)
    const reporting = simulated({ tpm: 60_000, burst: { tokens: 1_000 }, reply: 'short' }) // uses 100 + 2 tokens
    const silent = defineEndpoint({ kind: 'silent', model: 'm', tpm: 60_000, burst: { tokens: 1_000 }, complete: async () => ({ text: 'short', model: 'm' }) })
    const t0 = performance.now()
    const a = [call({ main: reporting }, 'main', request), call({ main: reporting }, 'main', request)]
    const b = [call({ main: silent }, 'main', request), call({ main: silent }, 'main', request)]
    await vi.advanceTimersByTimeAsync(1_100)
    await Promise.all([...a, ...b].map((each) => each.done))
    // Reported usage gives back 898 of the 1,000 charged: the next one waits about 102 ms.
    expect(a[1]!.startedAt()! - t0).toBeGreaterThanOrEqual(100)
    expect(a[1]!.startedAt()! - t0).toBeLessThan(120)
    // Without usage the estimate stands: a full second.
    expect(b[1]!.startedAt()! - t0).toBeGreaterThanOrEqual(1_000)
    expect(a[1]!.events.find((event) => event.type === 'rate-limit-wait')).toMatchObject({ reason: 'tpm' })
  })

  it('lets a request larger than the bucket through when it is full, then paces the debt', async () => {
    useFakeClock()
    // No usage reported, so the estimates stand: 1 token per ms, 100 in the bucket.
    const endpoint = defineEndpoint({ kind: 'silent', model: 'm', tpm: 60_000, burst: { tokens: 100 }, complete: async () => ({ text: 'ok', model: 'm' }) })
    const t0 = performance.now()
    const big = call({ main: endpoint }, 'main', ask('', 1_000))
    const next = call({ main: endpoint }, 'main', ask('', 50))
    await vi.advanceTimersByTimeAsync(2_000)
    await Promise.all([big.done, next.done])
    expect(big.startedAt()).toBe(t0)
    // The big one left the bucket at 100 - 1,000 = -900: the next (50) waits 950 ms.
    expect(next.startedAt()! - t0).toBeGreaterThanOrEqual(950)
    expect(next.startedAt()! - t0).toBeLessThan(960)
  })
})

describe('cost when unused', () => {
  it('sets no timer per call when no rate limit or timeout is configured', async () => {
    const endpoint = simulated({ latencyMs: 0 })
    const backend = inProcessBackend({ main: endpoint })
    const signal = new AbortController().signal
    const spy = vi.spyOn(globalThis, 'setTimeout')
    try {
      await Promise.all(Array.from({ length: 200 }, (_, index) => backend.complete('main', ask(`q${index}`), { signal })))
      for (let index = 0; index < 50; index++) await backend.complete('main', ask(`s${index}`), { signal })
    } finally {
      spy.mockRestore()
    }
    expect(spy).not.toHaveBeenCalled()
    expect(endpoint.stats.requests).toBe(250)
  })

  it('sets no timer either while an rpm bucket has room', async () => {
    const endpoint = simulated({ latencyMs: 0, rpm: 60_000, burst: 1_000 })
    const backend = inProcessBackend({ main: endpoint })
    const signal = new AbortController().signal
    const spy = vi.spyOn(globalThis, 'setTimeout')
    try {
      for (let index = 0; index < 100; index++) await backend.complete('main', ask(`s${index}`), { signal })
    } finally {
      spy.mockRestore()
    }
    expect(spy).not.toHaveBeenCalled()
  })
})
