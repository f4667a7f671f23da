import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openai, type CompletionRequest, type Endpoint } from '../../runtime/endpoints/index.js'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'

const KEY = 'sk-test-SECRET123'
const SECRET = /SECRET123/
const request: CompletionRequest = { messages: [{ role: 'user', content: 'hi' }] }

let server: MockOpenAIServer
beforeAll(async () => {
  server = await startMockOpenAIServer()
})
afterAll(async () => {
  await server.close()
})

/** Every string reachable from `value` through own properties (enumerable or not), functions excluded. */
function reachableText(value: unknown, seen = new Set<unknown>()): string {
  if (typeof value === 'string') return value
  if (typeof value !== 'object' || value === null || seen.has(value)) return ''
  seen.add(value)
  let text = ''
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)
    if (descriptor === undefined) continue
    if ('value' in descriptor) text += ` ${String(key)}=${reachableText(descriptor.value, seen)}`
    else if (descriptor.get !== undefined) text += ` ${String(key)}=${reachableText(descriptor.get.call(value), seen)}`
  }
  if (value instanceof Error) text += ` ${value.message} ${value.stack ?? ''} ${reachableText(value.cause, seen)}`
  return text
}

function expectNoSecret(value: unknown): void {
  expect(reachableText(value)).not.toMatch(SECRET)
  expect(inspect(value, { depth: 20, showHidden: true })).not.toMatch(SECRET)
  expect(String(value)).not.toMatch(SECRET)
  let json = ''
  try {
    json = JSON.stringify(value, Object.getOwnPropertyNames(value as object)) ?? ''
  } catch {
    // circular: covered by reachableText
  }
  expect(json).not.toMatch(SECRET)
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected the promise to reject')
}

describe('the API key never shows', () => {
  let endpoint: Endpoint
  beforeAll(() => {
    endpoint = openai({ model: 'gpt-test', apiKey: KEY, baseURL: server.url, defaultHeaders: { 'x-api-key': 'hdr-SECRET123' } })
  })

  it('is sent to the server', async () => {
    let seen: string | undefined
    server.setHandler((_body, { headers }) => {
      seen = headers.authorization
      return 'ok'
    })
    await endpoint.complete(request, { signal: new AbortController().signal })
    expect(seen).toBe(`Bearer ${KEY}`)
  })

  it('is not on the endpoint: describe, String, JSON, inspect, own properties', async () => {
    await endpoint.complete(request, { signal: new AbortController().signal }) // the SDK client exists now
    expect(endpoint.describe()).toEqual({ kind: 'openai', model: 'gpt-test', baseURL: server.url })
    expectNoSecret(endpoint)
    expect(JSON.stringify(endpoint)).not.toMatch(SECRET)
    expect(JSON.stringify(endpoint.describe())).not.toMatch(SECRET)
  })

  it('is scrubbed from errors even when the server echoes the Authorization header', async () => {
    server.setHandler((_body, { headers }) => ({
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${headers.authorization} (${headers['x-api-key']})`, type: 'invalid_request_error', code: 'invalid_api_key' } },
    }))
    const error = await failure(endpoint.complete(request, { signal: new AbortController().signal }))
    expect((error as Error).message).toMatch(/401 Incorrect API key provided: Bearer \[redacted\]/)
    expectNoSecret(error)
  })

  it('is scrubbed from a non-JSON error body', async () => {
    server.setHandler((_body, { headers }) => ({ status: 500, body: `upstream failed for ${headers.authorization}` }))
    const error = await failure(endpoint.complete(request, { signal: new AbortController().signal }))
    expect(error).toMatchObject({ status: 500, retryable: true })
    expect((error as Error).message).toMatch(/500 upstream failed for Bearer \[redacted\]/)
    expectNoSecret(error)
  })

  it('is scrubbed from connection errors', async () => {
    const other = await startMockOpenAIServer()
    const url = other.url
    await other.close()
    const error = await failure(openai({ model: 'gpt-test', apiKey: KEY, baseURL: url }).complete(request, { signal: new AbortController().signal }))
    expectNoSecret(error)
  })

  it('is not shown when a key-like baseURL carries credentials', () => {
    const withCredentials = openai({ model: 'gpt-test', apiKey: KEY, baseURL: `http://user:${KEY}@127.0.0.1:1/v1?key=${KEY}` })
    expect(withCredentials.describe().baseURL).toBe('http://127.0.0.1:1/v1')
    expectNoSecret(withCredentials)
  })

  it('is not in the error for an invalid apiKey type or a bad baseURL', () => {
    const error = (() => {
      try {
        openai({ model: 'gpt-test', apiKey: KEY, baseURL: `not a url ${KEY}@` })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(TypeError)
    expectNoSecret(error)
  })
})
