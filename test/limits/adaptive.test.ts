/**
 * Adaptive limits: a 429 halves the effective concurrency and rate (once per burst, at most once a
 * second), successes add them back, never above what was configured.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { inProcessBackend } from '../../runtime/backend.js'
import { openai, simulated, type SimulatedFault } from '../../runtime/endpoints/index.js'
import { startMockOpenAIServer } from '../support/openai-server.js'

const signal = new AbortController().signal
const ask = (content = 'q') => ({ messages: [{ role: 'user' as const, content }] })

afterEach(() => {
  vi.useRealTimers()
})

/** A simulated endpoint whose next faults are set by the test. */
function controlled(options: { maxConcurrent?: number; rpm?: number; adaptive?: boolean; latencyMs?: number } = {}) {
  let fault: SimulatedFault = 'ok'
  const endpoint = simulated({ maxConcurrent: 8, rpm: 6_000, ...options, retries: false, faults: () => fault })
  const backend = inProcessBackend({ main: endpoint })
  const send = (count: number) => Promise.allSettled(Array.from({ length: count }, (_, index) => backend.complete('main', ask(`q${index}`), { signal })))
  return { endpoint, send, setFault: (next: SimulatedFault) => (fault = next) }
}

describe('adaptive limits', () => {
  it('halve on a 429 (once for a burst), then recover on success up to the configured limits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] })
    const { endpoint, send, setFault } = controlled()
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 8, rpm: 6_000 })

    setFault('429')
    await send(8) // eight 429s from requests sent together: one decrease
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 4, rpm: 3_000 })

    await send(1) // a new 429 within a second of the decrease: no second decrease yet
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 4, rpm: 3_000 })

    await vi.advanceTimersByTimeAsync(1_000)
    await send(1)
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 2, rpm: 1_500 })

    setFault({ status: 500 })
    await send(3) // other errors leave the limits alone
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 2, rpm: 1_500 })

    setFault('ok')
    await send(1) // +1/2 slot, +600 rpm
    expect(endpoint.effectiveLimits.maxConcurrent).toBe(2)
    expect(endpoint.effectiveLimits.rpm).toBeCloseTo(2_100)
    for (let index = 0; index < 30; index++) await send(1)
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 8, rpm: 6_000 })
    for (let index = 0; index < 10; index++) await send(1)
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 8, rpm: 6_000 })
  })

  it('never go below one slot nor 1/64 of the rate', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] })
    const { endpoint, send, setFault } = controlled({ maxConcurrent: 4, rpm: 6_400 })
    setFault('429')
    for (let index = 0; index < 10; index++) {
      await send(1)
      await vi.advanceTimersByTimeAsync(1_000)
    }
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 1, rpm: 100 })
  })

  it('enforce the lowered concurrency', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] })
    const { endpoint, send, setFault } = controlled({ latencyMs: 100 })
    setFault('429')
    await Promise.all([send(8), vi.advanceTimersByTimeAsync(100)])
    expect(endpoint.effectiveLimits.maxConcurrent).toBe(4)
    setFault('ok')
    const wave = send(20)
    await vi.advanceTimersByTimeAsync(0)
    expect(endpoint.stats.inFlight).toBe(4)
    expect(endpoint.load).toEqual({ inFlight: 4, queued: 16 })
    await vi.advanceTimersByTimeAsync(2_000)
    await wave
  })

  it('stay as configured with adaptive: false', async () => {
    const { endpoint, send, setFault } = controlled({ adaptive: false })
    setFault('429')
    await send(8)
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 8, rpm: 6_000 })
  })

  it('follow 429s from a real server', async () => {
    const server = await startMockOpenAIServer({ reply: () => ({ status: 429, headers: { 'retry-after-ms': '1' } }) })
    try {
      const endpoint = openai({ model: 'm', baseURL: server.url, apiKey: 'k', maxConcurrent: 6, retries: false })
      await inProcessBackend({ main: endpoint }).complete('main', ask(), { signal }).catch(() => undefined)
      expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 3 })
    } finally {
      await server.close()
    }
  })
})
