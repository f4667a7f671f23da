import { getEventListeners } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EndpointError, openai, type CompletionRequest } from '../../runtime/endpoints/index.js'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'
import { waitUntil } from '../support/wait.js'

let server: MockOpenAIServer
beforeAll(async () => {
  server = await startMockOpenAIServer()
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  server.setHandler(undefined)
  server.setLatency(0)
  await server.whenIdle()
  server.reset()
})

const request: CompletionRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is plait?' },
  ],
}
const live = () => new AbortController().signal
const endpoint = (options: { model?: string; maxConcurrent?: number } = {}) =>
  openai({ model: options.model ?? 'gpt-test', apiKey: 'sk-test-key', baseURL: server.url, ...(options.maxConcurrent ? { maxConcurrent: options.maxConcurrent } : {}) })

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected the promise to reject')
}

describe('openai endpoint over HTTP', () => {
  it('sends the chat request and maps text, model and usage', async () => {
    server.setHandler(() => 'Plait is a library.')
    const result = await endpoint().complete({ ...request, temperature: 0.2, maxTokens: 64 }, { signal: live() })
    expect(result).toEqual({ text: 'Plait is a library.', model: 'gpt-test', usage: { promptTokens: expect.any(Number), completionTokens: 5 } })
    expect(result.usage!.promptTokens).toBeGreaterThan(0)
    expect(server.log).toHaveLength(1)
    expect(server.log[0]!.body).toMatchObject({
      model: 'gpt-test',
      messages: request.messages,
      temperature: 0.2,
      max_tokens: 64,
      stream: false,
    })
  })

  it('gives the default deterministic reply of the mock server', async () => {
    const a = await endpoint().complete(request, { signal: live() })
    const b = await endpoint().complete(request, { signal: live() })
    expect(a.text).toBe(b.text)
    expect(a.text).toContain('What is plait?')
  })

  it('sends json_schema as sent, with strict false, and passes extra options through', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false }
    const result = await endpoint().complete(
      { ...request, responseFormat: { type: 'json_schema', name: 'answer', schema }, options: { top_p: 0.5, seed: 7, stop: ['\n\n'] } },
      { signal: live() },
    )
    const body = server.log[0]!.body
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema, strict: false } })
    expect(body).toMatchObject({ top_p: 0.5, seed: 7, stop: ['\n\n'] })
    expect(JSON.parse(result.text)).toEqual({ answer: expect.any(String) })
  })

  it('sends json_object', async () => {
    await endpoint().complete({ ...request, responseFormat: { type: 'json_object' } }, { signal: live() })
    expect(server.log[0]!.body.response_format).toEqual({ type: 'json_object' })
  })

  it('turns a 429 into a retryable EndpointError with retryAfterMs from retry-after-ms', async () => {
    server.setHandler(() => ({ status: 429, headers: { 'retry-after-ms': '1500' } }))
    const error = await failure(endpoint().complete(request, { signal: live() }))
    expect(error).toBeInstanceOf(EndpointError)
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 1500 })
    expect((error as Error).message).toMatch(/^openai "gpt-test" at http:\/\/127\.0\.0\.1:\d+\/v1: 429 Rate limit/)
    expect(server.stats.requests).toBe(1)
  })

  it('does not retry a 429 for an exhausted quota', async () => {
    server.setHandler(() => ({
      status: 429,
      body: { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', code: 'insufficient_quota' } },
    }))
    expect(await failure(endpoint().complete(request, { signal: live() }))).toMatchObject({ status: 429, retryable: false })
  })

  it('reads retry-after in seconds and as an HTTP date', async () => {
    server.setHandler(() => ({ status: 429, headers: { 'retry-after': '2' } }))
    expect(await failure(endpoint().complete(request, { signal: live() }))).toMatchObject({ retryAfterMs: 2000 })
    server.setHandler(() => ({ status: 503, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } }))
    const error = (await failure(endpoint().complete(request, { signal: live() }))) as EndpointError
    expect(error).toMatchObject({ status: 503, retryable: true })
    expect(error.retryAfterMs).toBeGreaterThan(25_000)
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000)
  })

  it.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
    [408, true],
    [409, true],
    [500, true],
    [502, true],
  ])('status %i is retryable: %s', async (status, retryable) => {
    server.setHandler(() => ({ status }))
    const error = await failure(endpoint().complete(request, { signal: live() }))
    expect(error).toBeInstanceOf(EndpointError)
    expect(error).toMatchObject({ status, retryable, retryAfterMs: undefined })
  })

  it('does not retry on its own: one request reaches the server for a 500', async () => {
    server.setHandler(() => ({ status: 500 }))
    await failure(endpoint().complete(request, { signal: live() }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.stats.requests).toBe(1)
  })

  it('aborts an in-flight request: the server sees the client close, the call rejects with the reason', async () => {
    server.setHandler(() => ({ hang: true }))
    const controller = new AbortController()
    const pending = endpoint().complete(request, { signal: controller.signal })
    await waitUntil(() => server.stats.inFlight === 1 && server.log.length === 1, { message: 'the request to arrive' })
    controller.abort()
    const error = await failure(pending)
    expect(error).not.toBeInstanceOf(EndpointError)
    expect(error).toMatchObject({ name: 'AbortError' })
    await waitUntil(() => server.log[0]!.clientClosed, { message: 'the server to see the client close' })
    expect(server.stats.inFlight).toBe(0)
  })

  it('leaves no listeners behind on the caller\'s signal, however many requests share it', async () => {
    const caller = new AbortController()
    const ep = endpoint({ maxConcurrent: 100 })
    await Promise.all(Array.from({ length: 60 }, () => ep.complete(request, { signal: caller.signal })))
    // One listener for all of them (plait's own, see runtime/endpoints/abort.ts), not one per request.
    expect(getEventListeners(caller.signal, 'abort').length).toBeLessThanOrEqual(1)
    server.setHandler(() => ({ hang: true }))
    const pending = ep.complete(request, { signal: caller.signal })
    await waitUntil(() => server.stats.inFlight === 1)
    caller.abort(new Error('stop'))
    await expect(pending).rejects.toThrow('stop')
    await waitUntil(() => server.log.at(-1)!.clientClosed, { message: 'the server to see the client close' })
  })

  it('rejects with a custom abort reason as given', async () => {
    server.setHandler(() => ({ hang: true }))
    const controller = new AbortController()
    const pending = endpoint().complete(request, { signal: controller.signal })
    await waitUntil(() => server.stats.inFlight === 1)
    const reason = new Error('run cancelled')
    controller.abort(reason)
    expect(await failure(pending)).toBe(reason)
  })

  it('maps a timeout to a retryable EndpointError without status', async () => {
    server.setHandler(() => ({ hang: true }))
    const timed = openai({ model: 'gpt-test', apiKey: 'sk-test-key', baseURL: server.url, timeoutMs: 100 })
    const error = await failure(timed.complete(request, { signal: live() }))
    expect(error).toBeInstanceOf(EndpointError)
    expect(error).toMatchObject({ status: undefined, retryable: true })
    expect((error as Error).message).toMatch(/timed out after 100ms/)
  })

  it('maps a refused connection to a retryable EndpointError', async () => {
    const other = await startMockOpenAIServer()
    const url = other.url
    await other.close()
    const error = await failure(openai({ model: 'gpt-test', apiKey: 'sk-test-key', baseURL: url }).complete(request, { signal: live() }))
    expect(error).toBeInstanceOf(EndpointError)
    expect(error).toMatchObject({ status: undefined, retryable: true })
    expect((error as Error).message).toMatch(/Connection error/)
  })

  it('maps a reply without text to a non-retryable EndpointError', async () => {
    server.setHandler(() => ({
      status: 200,
      body: { id: 'x', object: 'chat.completion', created: 0, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' }, finish_reason: 'stop' }] },
    }))
    const error = await failure(endpoint().complete(request, { signal: live() }))
    expect(error).toMatchObject({ retryable: false })
    expect((error as Error).message).toMatch(/the model refused: I cannot help with that/)
  })

  it('keeps at most maxConcurrent requests in flight at the server through schedule()', async () => {
    server.setLatency(40)
    const limited = endpoint({ maxConcurrent: 2 })
    const signal = live()
    const texts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        limited.schedule(() => limited.complete({ messages: [{ role: 'user', content: `question ${i}` }] }, { signal }), { signal }),
      ),
    )
    expect(texts.map((t) => t.text)).toEqual(Array.from({ length: 6 }, (_, i) => expect.stringContaining(`question ${i}`)))
    expect(server.stats.requests).toBe(6)
    expect(server.stats.maxInFlight).toBe(2)
  })

  it('removes a queued request whose signal aborts; it never reaches the server', async () => {
    server.setLatency(60)
    const limited = endpoint({ maxConcurrent: 1 })
    const first = limited.schedule(() => limited.complete(request, { signal: live() }), { signal: live() })
    const controller = new AbortController()
    const queued = limited.schedule(() => limited.complete(request, { signal: controller.signal }), { signal: controller.signal })
    await waitUntil(() => server.stats.inFlight === 1)
    expect(limited.load).toEqual({ inFlight: 1, queued: 1 })
    controller.abort()
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' })
    expect(limited.load.queued).toBe(0)
    await first
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.stats.requests).toBe(1)
  })
})
