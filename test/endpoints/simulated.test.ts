import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { EndpointError, simulated, type CompletionRequest } from '../../runtime/endpoints/index.js'

const live = () => new AbortController().signal
const ask = (user: string, system = 'Extract the main facts as a bulleted list.'): CompletionRequest => ({
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ],
})

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected the promise to reject')
}

afterEach(() => {
  vi.useRealTimers()
})

describe('simulated replies', () => {
  it('are deterministic: same input, same reply; different input, different reply', async () => {
    const a = simulated({ model: 'fast' })
    const b = simulated({ model: 'fast', seed: 99 })
    const doc = 'The Eiffel Tower is in Paris. It was finished in 1889.'
    const first = await a.complete(ask(doc), { signal: live() })
    expect((await a.complete(ask(doc), { signal: live() })).text).toBe(first.text)
    expect((await b.complete(ask(doc), { signal: live() })).text).toBe(first.text)
    expect((await a.complete(ask('Big Ben is in London.'), { signal: live() })).text).not.toBe(first.text)
    expect((await a.complete(ask(doc, 'Summarize.'), { signal: live() })).text).not.toBe(first.text)
    expect((await simulated({ model: 'smart' }).complete(ask(doc), { signal: live() })).text).not.toBe(first.text)
  })

  it('show their model and part of their input, shaped by the system prompt', async () => {
    const endpoint = simulated({ model: 'fast' })
    const facts = await endpoint.complete(ask('The Eiffel Tower is in Paris. It was finished in 1889.'), { signal: live() })
    expect(facts.model).toBe('fast')
    expect(facts.text).toMatch(/^\[fast\] - The Eiffel Tower is in Paris\.\n- It was finished in 1889\. \(#[0-9a-f]{4}\)$/)
    const comparison = await endpoint.complete(ask(`Compare:\n${facts.text}\n\nvs:\nBig Ben is in London.`, 'Highlight key similarities and differences.'), { signal: live() })
    expect(comparison.text).toContain('Comparison:')
    expect(comparison.text).toContain('The Eiffel Tower is in Paris.')
    expect(comparison.text).toContain('Big Ben is in London.')
    const plain = await endpoint.complete({ messages: [{ role: 'user', content: 'hello there' }] }, { signal: live() })
    expect(plain.text).toMatch(/^\[fast\] Re: hello there \(#[0-9a-f]{4}\)$/)
  })

  it('count usage at about four characters per token', async () => {
    const result = await simulated({ reply: 'abcdefgh' }).complete({ messages: [{ role: 'user', content: 'x'.repeat(40) }] }, { signal: live() })
    expect(result.usage).toEqual({ promptTokens: 10, completionTokens: 2 })
  })

  it('can be a fixed string or a function of the request and context', async () => {
    expect((await simulated({ reply: 'fixed' }).complete(ask('a'), { signal: live() })).text).toBe('fixed')
    const endpoint = simulated({ model: 'm', reply: async (request, { model, index }) => `${model}#${index}:${request.messages.at(-1)?.content}` })
    expect((await endpoint.complete(ask('a'), { signal: live() })).text).toBe('m#0:a')
    expect((await endpoint.complete(ask('b'), { signal: live() })).text).toBe('m#1:b')
    const bad = simulated({ reply: (() => 42) as never })
    await expect(bad.complete(ask('a'), { signal: live() })).rejects.toThrow(/Expected `reply` of simulated endpoint "simulated" to return a string, got 42/)
  })

  it('fit a json_schema (made from a zod schema) and parse', async () => {
    const Person = z.object({
      name: z.string().min(3),
      age: z.number().int().min(0).max(120),
      score: z.number().min(0).max(1),
      email: z.email(),
      tags: z.array(z.string()).min(1).max(2),
      kind: z.enum(['employee', 'contractor']),
      active: z.boolean(),
      nickname: z.string().optional(),
      manager: z.object({ name: z.string(), since: z.iso.datetime() }).nullable(),
    })
    const schema = z.toJSONSchema(Person) as Record<string, unknown>
    const endpoint = simulated()
    const request: CompletionRequest = { ...ask('Ada Lovelace, 36, mathematician.'), responseFormat: { type: 'json_schema', name: 'person', schema } }
    const first = await endpoint.complete(request, { signal: live() })
    const parsed = Person.parse(JSON.parse(first.text))
    expect(parsed.kind).toBe('employee')
    expect(parsed.name).toContain('Ada Lovelace')
    expect((await endpoint.complete(request, { signal: live() })).text).toBe(first.text)
  })

  it('give {} for json_object unless reply is set', async () => {
    const request: CompletionRequest = { ...ask('x'), responseFormat: { type: 'json_object' } }
    expect((await simulated().complete(request, { signal: live() })).text).toBe('{}')
    expect((await simulated({ reply: '{"a":1}' }).complete(request, { signal: live() })).text).toBe('{"a":1}')
  })
})

describe('simulated latency', () => {
  it('waits about latencyMs (wide margins)', async () => {
    const endpoint = simulated({ latencyMs: 60 })
    const started = performance.now()
    await endpoint.complete(ask('x'), { signal: live() })
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(50)
    expect(elapsed).toBeLessThan(1_000)
  })

  it('takes a latency function and applies seeded jitter deterministically', async () => {
    vi.useFakeTimers()
    const run = async (seed: number) => {
      const endpoint = simulated({ latencyMs: () => 1000, jitter: 0.2, seed })
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        const started = Date.now()
        const pending = endpoint.complete(ask('x'), { signal: live() })
        await vi.runAllTimersAsync()
        await pending
        times.push(Date.now() - started)
      }
      return times
    }
    const a = await run(1)
    expect(a.every((t) => t >= 800 && t <= 1200)).toBe(true)
    expect(new Set(a).size).toBeGreaterThan(1)
    expect(await run(1)).toEqual(a)
    expect(await run(2)).not.toEqual(a)
  })

  it('stops waiting when aborted, clearing its timer, and rejects with the reason', async () => {
    const endpoint = simulated({ latencyMs: 60_000 })
    const controller = new AbortController()
    const pending = endpoint.complete(ask('x'), { signal: controller.signal })
    expect(endpoint.stats.inFlight).toBe(1)
    const reason = new Error('cancelled')
    controller.abort(reason)
    expect(await failure(pending)).toBe(reason)
    expect(endpoint.stats.inFlight).toBe(0)
  })

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const endpoint = simulated()
    await expect(endpoint.complete(ask('x'), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(endpoint.stats.requests).toBe(0)
  })
})

describe('simulated faults', () => {
  it('throws a retryable 429 EndpointError with retryAfterMs', async () => {
    const endpoint = simulated({ model: 'sim', faults: { sequence: ['429', 'ok'], retryAfterMs: 250 } })
    const error = await failure(endpoint.complete(ask('x'), { signal: live() }))
    expect(error).toBeInstanceOf(EndpointError)
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 250 })
    expect((error as Error).message).toBe('simulated "sim": 429 Rate limit reached (simulated fault)')
    await expect(endpoint.complete(ask('x'), { signal: live() })).resolves.toMatchObject({ model: 'sim' })
  })

  it('throws a retryable 500, and a non-retryable custom 400', async () => {
    const endpoint = simulated({ faults: { sequence: ['500', { status: 400, message: 'bad prompt' }] } })
    expect(await failure(endpoint.complete(ask('x'), { signal: live() }))).toMatchObject({ status: 500, retryable: true })
    const error = await failure(endpoint.complete(ask('x'), { signal: live() }))
    expect(error).toMatchObject({ status: 400, retryable: false })
    expect((error as Error).message).toContain('bad prompt')
  })

  it('hangs until aborted, then rejects with the abort reason', async () => {
    const endpoint = simulated({ faults: () => 'hang' })
    const controller = new AbortController()
    const pending = endpoint.complete(ask('x'), { signal: controller.signal })
    let settled = false
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    )
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(settled).toBe(false)
    expect(endpoint.stats.inFlight).toBe(1)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(endpoint.stats.inFlight).toBe(0)
  })

  it('draws rates from the seed: the same seed gives the same faults', async () => {
    const outcomes = async (seed: number) => {
      const endpoint = simulated({ faults: { rate429: 0.3, rate500: 0.2 }, seed })
      const result: string[] = []
      for (let i = 0; i < 40; i++) {
        const error = await endpoint.complete(ask(String(i)), { signal: live() }).then(
          () => undefined,
          (e: unknown) => e as EndpointError,
        )
        result.push(error === undefined ? 'ok' : String(error.status))
      }
      return result
    }
    const a = await outcomes(3)
    expect(a).toEqual(await outcomes(3))
    expect(a).toContain('429')
    expect(a).toContain('500')
    expect(a).toContain('ok')
  })

  it('passes the request and its index to a fault function', async () => {
    const seen: number[] = []
    const endpoint = simulated({
      faults: (request, index) => {
        seen.push(index)
        return request.messages.at(-1)?.content === 'fail' ? { status: 503, retryAfterMs: 10 } : 'ok'
      },
    })
    await endpoint.complete(ask('fine'), { signal: live() })
    expect(await failure(endpoint.complete(ask('fail'), { signal: live() }))).toMatchObject({ status: 503, retryable: true, retryAfterMs: 10 })
    expect(seen).toEqual([0, 1])
  })

  it('rejects bad fault options', () => {
    expect(() => simulated({ faults: { rate429: 2 } })).toThrow(/Expected `faults.rate429` .* to be a number from 0 to 1, got 2/)
    expect(() => simulated({ faults: { rate429: 0.6, rate500: 0.6 } })).toThrow(/at most 1/)
    expect(() => simulated({ faults: { sequence: ['boom' as never] } })).toThrow(/Expected every item of `faults.sequence`/)
  })
})

describe('simulated options and stats', () => {
  it('validates options', () => {
    expect(() => simulated({ latencyMs: -1 })).toThrow(/Expected `latencyMs` of simulated endpoint "simulated" to be a finite number of milliseconds >= 0, got -1/)
    expect(() => simulated({ jitter: 1.5 })).toThrow(/Expected `jitter`/)
    expect(() => simulated({ maxConcurrent: 0 })).toThrow(/Expected `maxConcurrent`/)
    expect(() => simulated({ model: '' })).toThrow(/Expected `model`/)
  })

  it('describes itself and counts requests and concurrency inside complete', async () => {
    const endpoint = simulated({ model: 'sim', latencyMs: 20, maxConcurrent: 3 })
    expect(endpoint.describe()).toEqual({ kind: 'simulated', model: 'sim' })
    expect(endpoint.limits.maxConcurrent).toBe(3)
    const signal = live()
    await Promise.all(Array.from({ length: 10 }, (_, i) => endpoint.schedule(() => endpoint.complete(ask(String(i)), { signal }), { signal })))
    expect(endpoint.stats).toEqual({ requests: 10, inFlight: 0, maxInFlight: 3 })
  })
})
