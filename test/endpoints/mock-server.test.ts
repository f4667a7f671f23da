import { afterEach, describe, expect, it } from 'vitest'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'

let server: MockOpenAIServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) })

describe('mock OpenAI server', () => {
  it('answers a chat completion with usage and counts per model', async () => {
    server = await startMockOpenAIServer({ latencyMs: { slow: 40, '*': 0 } })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    const started = performance.now()
    const [a, b] = await Promise.all([
      post(server.url, { model: 'slow', messages: [{ role: 'user', content: 'one' }] }),
      post(server.url, { model: 'slow', messages: [{ role: 'user', content: 'two' }] }),
    ])
    expect(performance.now() - started).toBeGreaterThanOrEqual(30)
    const json = (await a!.json()) as { object: string; model: string; choices: Array<{ message: { content: string } }>; usage: { total_tokens: number } }
    await b!.text()
    expect(json.object).toBe('chat.completion')
    expect(json.model).toBe('slow')
    expect(json.choices[0]!.message.content).toContain('one')
    expect(json.usage.total_tokens).toBeGreaterThan(0)
    await post(server.url, { model: 'fast', messages: [{ role: 'user', content: 'three' }] }).then((r) => r.text())
    expect(server.stats).toMatchObject({ requests: 3, inFlight: 0, maxInFlight: 2 })
    expect(server.stats.perModel).toEqual({
      slow: { requests: 2, inFlight: 0, maxInFlight: 2 },
      fast: { requests: 1, inFlight: 0, maxInFlight: 1 },
    })
    expect(server.log.map((e) => [e.model, e.status, e.clientClosed])).toEqual([
      ['slow', 200, false],
      ['slow', 200, false],
      ['fast', 200, false],
    ])
    expect(server.log[0]!.endedAt! - server.log[0]!.startedAt).toBeGreaterThanOrEqual(30)
  })

  it('sends scripted statuses and headers, and 404 for other routes', async () => {
    server = await startMockOpenAIServer({ reply: () => ({ status: 429, headers: { 'retry-after': '1' } }) })
    const response = await post(server.url, { model: 'm', messages: [] })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/Rate limit/)
    const missing = await fetch(`${server.url}/models`)
    expect(missing.status).toBe(404)
    await missing.text()
    const bad = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: 'not json' })
    expect(bad.status).toBe(400)
    await bad.text()
  })

  it('counts a hung request until the client disconnects, and closes with hung requests open', async () => {
    server = await startMockOpenAIServer({ reply: () => ({ hang: true }) })
    const controller = new AbortController()
    const pending = post(server.url, { model: 'm', messages: [] }, controller.signal).catch((e: unknown) => e)
    while (server.log.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(server.stats.inFlight).toBe(1)
    controller.abort()
    await pending
    await server.whenIdle()
    expect(server.log[0]).toMatchObject({ clientClosed: true, status: undefined })

    const hung = post(server.url, { model: 'm', messages: [] }).catch((e: unknown) => e)
    while (server.stats.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const closing = performance.now()
    await server.close()
    expect(performance.now() - closing).toBeLessThan(1_000)
    expect(await hung).toBeInstanceOf(Error)
    expect(server.stats.inFlight).toBe(0)
  })

  it('handles a thousand requests quickly', async () => {
    server = await startMockOpenAIServer({ log: false })
    const url = server.url
    const started = performance.now()
    const texts = await Promise.all(Array.from({ length: 1000 }, (_, i) => post(url, { model: 'm', messages: [{ role: 'user', content: `q${i}` }] }).then((r) => r.text())))
    expect(texts).toHaveLength(1000)
    expect(server.stats.requests).toBe(1000)
    expect(server.log).toEqual([])
    expect(performance.now() - started).toBeLessThan(10_000)
  })
})
