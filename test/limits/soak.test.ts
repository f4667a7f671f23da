/**
 * Fault soak over real HTTP: 1,000 batch items through `openai()` against the local mock server
 * injecting 20% 429 (with retry-after), 5% 500 and 2% hangs. Every item completes, every logical
 * request succeeds exactly once at the server, the server never sees more than `maxConcurrent`
 * in flight, and the request rate stays within 5% of `rpm`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'

let server: MockOpenAIServer
beforeAll(async () => {
  server = await startMockOpenAIServer({ latencyMs: 2 })
})
afterAll(async () => {
  await server.close()
})

class Ask extends Module<[string], string> {
  ask = new LLMInference({ alias: 'main', system: 'Answer briefly.' })
  forward(question: string): string {
    return this.ask(question)
  }
}

const FAULTS = { rate429: 0.2, retryAfterMs: 30, rate500: 0.05, rateHang: 0.02, seed: 42 }
const ITEMS = 1_000
const RPM = 7_200
const MAX_CONCURRENT = 16
const BURST = 10

describe('fault soak', () => {
  it('completes 1,000 items through 429s, 500s and hangs, within maxConcurrent and rpm', async () => {
    const endpoint = openai({
      baseURL: server.url,
      apiKey: 'test',
      model: 'soak',
      maxConcurrent: MAX_CONCURRENT,
      rpm: RPM,
      // The default burst (one second's worth) may add up to rpm / 60 requests to any window
      // after a stall; a small one keeps the measured rate close to the limit.
      burst: BURST,
      timeoutMs: 750,
      retries: { attempts: 12, baseMs: 10, maxMs: 200 },
    })
    const pipeline = new Ask().bind({ endpoints: { main: endpoint } })
    // Load the SDK and open a connection first: a cold start must not eat into timeoutMs.
    server.setFaults(undefined)
    await pipeline('warm-up')
    await server.whenIdle()
    server.reset()
    server.setFaults(FAULTS)
    const factors: number[] = []
    const sampler = setInterval(() => factors.push(endpoint.effectiveLimits.rpm! / RPM), 100)
    const started = performance.now()
    // For the failure message only: what the client saw of each request.
    const clientErrors = new Map<number, string[]>()
    const original = endpoint.complete.bind(endpoint)
    endpoint.complete = (request, options) => {
      const id = Number(/id:(\d+):/.exec(request.messages.at(-1)!.content)?.[1])
      const at = performance.now()
      return original(request, options).catch((error: unknown) => {
        const list = clientErrors.get(id) ?? []
        list.push(`${Math.round(at - started)}-${Math.round(performance.now() - started)}: ${String(error)}`)
        clientErrors.set(id, list)
        throw error
      })
    }
    // Runs in flight at once: starting all 1,000 runs in one go would block the event loop long
    // enough (on a busy machine) for the first requests to time out before they are even sent.
    const items = await pipeline.batch(
      Array.from({ length: ITEMS }, (_, index): [string] => [`question id:${index}:`]),
      { concurrency: 100 },
    )
    const elapsed = performance.now() - started
    clearInterval(sampler)
    await server.whenIdle()

    const failed = items.filter((item) => !item.ok)
    expect(failed.map((item) => String((item as { error: unknown }).error)).slice(0, 3)).toEqual([])
    for (const item of items) expect(item.ok && item.value).toContain(`id:${item.index}:`)

    // Each logical request succeeded exactly once at the server.
    const successes = new Map<number, number>()
    for (const entry of server.log) {
      if (entry.status !== 200) continue
      const id = Number(/id:(\d+):/.exec(String(entry.body.messages.at(-1)?.content))?.[1])
      successes.set(id, (successes.get(id) ?? 0) + 1)
    }
    const twice = [...successes].filter(([, count]) => count > 1).map(([id]) => id)
    const history = (id: number) =>
      `${id}: client saw ${JSON.stringify(clientErrors.get(id) ?? [])}; server saw ${JSON.stringify(
        server.log
          .filter((entry) => String(entry.body.messages.at(-1)?.content).includes(`id:${id}:`))
          .map((entry) => `${entry.status ?? 'closed'} ${Math.round(entry.startedAt - started)}-${Math.round((entry.endedAt ?? 0) - started)}ms`),
      )}`
    expect(twice, twice.slice(0, 3).map(history).join('\n')).toEqual([])
    expect(successes.size).toBe(ITEMS)

    // Concurrency as the server saw it.
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENT)

    // Rate over the steady part: arrivals between the 10th and 90th percentile.
    const arrivals = server.log.map((entry) => entry.startedAt).sort((a, b) => a - b)
    const from = Math.floor(arrivals.length * 0.1)
    const to = Math.floor(arrivals.length * 0.9)
    const steadyRpm = ((to - from) / (arrivals[to]! - arrivals[from]!)) * 60_000
    // In any 5 s: at most the bucket's capacity plus 5 s of refill (3% for arrival jitter).
    let busiest = 0
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (j < arrivals.length && arrivals[j]! - arrivals[i]! < 5_000) j++
      busiest = Math.max(busiest, j - i)
    }
    const statuses = new Map<string, number>()
    for (const entry of server.log) statuses.set(String(entry.status ?? 'closed'), (statuses.get(String(entry.status ?? 'closed')) ?? 0) + 1)
    console.log(
      `soak: ${server.log.length} requests in ${Math.round(elapsed)} ms, steady ${Math.round(steadyRpm)} rpm (limit ${RPM}), busiest 5 s ${busiest} requests, ` +
        `server max in flight ${server.stats.maxInFlight}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `rate factor mean ${(factors.reduce((a, b) => a + b, 0) / Math.max(1, factors.length)).toFixed(2)} min ${Math.min(...factors).toFixed(3)}`,
    )
    expect(steadyRpm).toBeLessThanOrEqual(RPM * 1.05)
    expect(busiest).toBeLessThanOrEqual(Math.ceil((BURST + (RPM / 60) * 5) * 1.03))
    // And the limiter, not something else, set the pace: not far below rpm either.
    expect(steadyRpm).toBeGreaterThanOrEqual(RPM * 0.8)
  }, 60_000)
})
