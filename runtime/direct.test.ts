/**
 * Direct calls (runtime/direct.ts) against the general way: the same cases run both ways, and
 * everything a user can see must be the same — the value or the error, the ledger, the endpoint's
 * load afterwards. A plain run takes the direct way; a run with an `onNode` observer records its
 * calls' details, which only the general way does. The general way sends each attempt through
 * `endpoint.send()`, the direct way only the attempts after a failed first one: counting them
 * tells that each way was really taken.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { LLMInference, Module, type LedgerEntry } from 'plait'
import { defineEndpoint, openai, simulated, type Endpoint } from 'plait/endpoints'
import { startMockOpenAIServer, type MockOpenAIServer, type MockReplyHandler } from '../test/support/openai-server.js'

type Way = 'direct' | 'general'

interface Case {
  name: string
  endpoints: () => Record<string, Endpoint>
  module: () => Module<[string], unknown>
  /** LLM calls the run makes (first attempts). */
  calls: number
  /** Aborts the run this long after it starts. */
  abortAfterMs?: number
  /** Over HTTP: how the test server answers, made afresh for each run. */
  serve?: () => MockReplyHandler
}

class Chain extends Module<[string], string> {
  steps = [0, 1, 2].map((step) => new LLMInference({ alias: 'fast', system: `Step ${step}.` }))
  forward(text: string): string {
    let value = text
    for (const step of this.steps) value = step(value)
    return value
  }
}

class One extends Module<[string], string> {
  only = new LLMInference({ alias: 'fast', system: 'Answer.' })
  forward(text: string): string {
    return this.only(text)
  }
}

class Pair extends Module<[string], string[]> {
  first = new LLMInference({ alias: 'fast', system: 'First.' })
  second = new LLMInference({ alias: 'fast', system: 'Second.' })
  forward(text: string): string[] {
    return [this.first(text), this.second(text)]
  }
}

const quickRetries = { attempts: 3, baseMs: 1, maxMs: 2 }

let server: MockOpenAIServer
beforeAll(async () => {
  server = await startMockOpenAIServer({ latencyMs: 2 })
})
afterAll(async () => {
  await server.close()
})

const overHTTP = (options: Partial<Parameters<typeof openai>[0]> = {}) => () => ({ fast: openai({ model: 'served', baseURL: server.url, apiKey: 'sk-test-direct', retries: quickRetries, ...options }) })

/** A handler that answers the i-th request as `replies[i]` says, then with the default reply. */
const inTurn = (...replies: Array<ReturnType<MockReplyHandler>>) => () => {
  let index = 0
  return () => replies[index++]
}

const cases: Case[] = [
  { name: 'a chain', endpoints: () => ({ fast: simulated({ latencyMs: 1 }) }), module: () => new Chain(), calls: 3 },
  {
    name: 'a failure retried',
    endpoints: () => ({ fast: simulated({ latencyMs: 1, retries: quickRetries, faults: { sequence: ['500', 'ok'] } }) }),
    module: () => new One(),
    calls: 1,
  },
  {
    name: 'a failure not retried',
    endpoints: () => ({ fast: simulated({ latencyMs: 1, retries: quickRetries, faults: { sequence: [{ status: 400, message: 'bad request' }] } }) }),
    module: () => new Chain(),
    calls: 1,
  },
  {
    name: 'a fallback',
    endpoints: () => ({
      fast: simulated({ model: 'main', latencyMs: 1, retries: { attempts: 2, baseMs: 1, maxMs: 2 }, faults: { sequence: ['500', '500'] }, fallbacks: ['backup'] }),
      backup: simulated({ model: 'backup', latencyMs: 1 }),
    }),
    module: () => new One(),
    calls: 1,
  },
  {
    name: 'a reply that is not a result',
    endpoints: () => ({ fast: defineEndpoint({ kind: 'broken', model: 'broken', complete: async () => ({ text: 42 }) as never }) }),
    module: () => new One(),
    calls: 1,
  },
  { name: 'two calls waiting for one slot', endpoints: () => ({ fast: simulated({ latencyMs: 2, maxConcurrent: 1 }) }), module: () => new Pair(), calls: 2 },
  {
    name: 'an abort while a request hangs',
    endpoints: () => ({ fast: simulated({ latencyMs: 1, faults: { sequence: ['hang'] } }) }),
    module: () => new One(),
    calls: 1,
    abortAfterMs: 20,
  },
  { name: 'a chain over HTTP', endpoints: overHTTP(), module: () => new Chain(), calls: 3, serve: inTurn() },
  { name: 'a server error retried over HTTP', endpoints: overHTTP(), module: () => new One(), calls: 1, serve: inTurn({ status: 500 }) },
  { name: 'a server error not retried over HTTP', endpoints: overHTTP(), module: () => new Chain(), calls: 1, serve: inTurn({ status: 400, body: { error: { message: 'no' } } }) },
  { name: 'an abort over HTTP', endpoints: overHTTP(), module: () => new Pair(), calls: 2, serve: inTurn({ hang: true }, { hang: true }), abortAfterMs: 30 },
]

/** Everything a user sees of one run of `entry` taken `way`, and how many attempts went through `send()`. */
async function runOn(entry: Case, way: Way) {
  if (entry.serve) {
    server.reset()
    server.setHandler(entry.serve())
  }
  const endpoints = entry.endpoints()
  const sends = Object.values(endpoints).map((endpoint) => vi.spyOn(endpoint, 'send'))
  const pipeline = entry.module().bind({ endpoints })
  const entries: LedgerEntry[] = []
  pipeline.ledger.subscribe((ledgerEntry) => entries.push(ledgerEntry))
  const controller = new AbortController()
  if (entry.abortAfterMs !== undefined) setTimeout(() => controller.abort(new Error('stopped by the test')), entry.abortAfterMs)
  const outcome = await pipeline.run(['some text'], way === 'general' ? { signal: controller.signal, onNode: () => {} } : { signal: controller.signal }).then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, name: error.name, message: error.message.replace(/\(.*?:\d+:\d+\)/, '(site)'), cause: String((error as { cause?: unknown }).cause) }),
  )
  if (entry.serve) await server.whenIdle()
  return {
    outcome,
    // At the server: each request, and whether the client went away before the answer.
    served: entry.serve ? server.log.map((logged) => ({ status: logged.status, clientClosed: logged.clientClosed })) : [],
    ledger: entries.map(({ run, ...rest }) => (expect(run).toBeGreaterThan(0), rest)),
    load: Object.values(endpoints).map((endpoint) => endpoint.load),
    sent: sends.reduce((sum, spy) => sum + spy.mock.calls.length, 0),
  }
}

describe('direct calls', () => {
  it.each(cases)('give what the general way gives: $name', async (entry) => {
    const direct = await runOn(entry, 'direct')
    const general = await runOn(entry, 'general')
    expect(direct.outcome).toEqual(general.outcome)
    expect(direct.ledger).toEqual(general.ledger)
    expect(direct.load).toEqual(general.load)
    expect(direct.served).toEqual(general.served)
    // An abort stops every request at the server too.
    if (entry.abortAfterMs !== undefined) expect(direct.served.every((request) => request.clientClosed)).toBe(true)
    expect(direct.load.every((load) => load.inFlight === 0 && load.queued === 0)).toBe(true)
    // The direct way sends first attempts itself; retries and fallbacks go through `send()`.
    expect(direct.sent).toBe(general.sent - entry.calls)
  })

  it('are not made to an endpoint whose `complete` was replaced', async () => {
    const endpoint = simulated({ latencyMs: 1 })
    const own = endpoint.complete
    endpoint.complete = (request, options) => own.call(endpoint, request, options)
    const send = vi.spyOn(endpoint, 'send')
    const value = await new One().bind({ endpoints: { fast: endpoint } })('text')
    expect(typeof value).toBe('string')
    expect(send).toHaveBeenCalledTimes(1)
  })
})
