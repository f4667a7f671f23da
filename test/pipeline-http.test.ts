/**
 * Whole pipelines over real HTTP: `openai()` endpoints talking to a local OpenAI-compatible server
 * on loopback through the `openai` SDK, counting at the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { LLMInference, Module, NodeError } from 'plait'
import { openai } from 'plait/endpoints'
import { startMockOpenAIServer, type MockChatBody, type MockOpenAIServer } from './support/openai-server.js'

let server: MockOpenAIServer
beforeAll(async () => {
  server = await startMockOpenAIServer({ latencyMs: 30 })
})
afterAll(async () => {
  await server.close()
})

const lastUser = (body: MockChatBody) => String(body.messages.at(-1)?.content ?? '')
const system = (body: MockChatBody) => String(body.messages.find((message) => message.role === 'system')?.content ?? '')

class Pair extends Module<[a: string, b: string], string> {
  left = new LLMInference({ alias: 'main', system: 'L' })
  right = new LLMInference({ alias: 'main', system: 'R' })
  forward(a: string, b: string): string {
    return `${this.left(a)} + ${this.right(b)}`
  }
}

describe('pipelines over HTTP', () => {
  it('runs a pipeline end to end through the openai SDK', async () => {
    server.reset()
    server.setHandler((body) => `${system(body)}(${lastUser(body)})`)
    const pipeline = new Pair().bind({ endpoints: { main: openai({ model: 'test-model', baseURL: server.url, apiKey: 'sk-test-e2e' }) } })
    expect(await pipeline('x', 'y')).toBe('L(x) + R(y)')
    expect(server.stats.requests).toBe(2)
    expect(server.stats.maxInFlight).toBe(2)
    expect(server.log.map((entry) => entry.body.model)).toEqual(['test-model', 'test-model'])
  })

  it('never has more than maxConcurrent requests in flight at the server, across a batch of runs', async () => {
    server.reset()
    server.setHandler(undefined)
    const endpoint = openai({ model: 'limited', baseURL: server.url, apiKey: 'sk-test-e2e', maxConcurrent: 2 })
    const pipeline = new Pair().bind({ endpoints: { main: endpoint } })
    const items = await pipeline.batch(Array.from({ length: 6 }, (_, index): [string, string] => [`a${index}`, `b${index}`]))
    expect(items.every((item) => item.ok)).toBe(true)
    expect(server.stats.requests).toBe(12)
    expect(server.stats.maxInFlight).toBe(2)
  })

  it('parses structured output sent as a JSON schema', async () => {
    server.reset()
    server.setHandler((body) => (body.response_format ? '{"label":"positive","score":0.75}' : 'plain'))
    class Classify extends Module<[string], { label: string; score: number }> {
      classifier = new LLMInference({ alias: 'main', output: z.object({ label: z.string(), score: z.number() }) })
      forward(text: string) {
        return this.classifier(text)
      }
    }
    const pipeline = new Classify().bind({ endpoints: { main: openai({ model: 'json', baseURL: server.url, apiKey: 'sk-test-e2e' }) } })
    expect(await pipeline('Great!')).toEqual({ label: 'positive', score: 0.75 })
    expect(server.log[0]!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'classifier' } })
  })

  it('fails the run on a server error, names the node, and aborts the in-flight sibling at the server', async () => {
    server.reset()
    server.setHandler((body) => (system(body) === 'L' ? { status: 500, body: { error: { message: 'exploded' } } } : { hang: true }))
    const pipeline = new Pair().bind({ endpoints: { main: openai({ model: 'broken', baseURL: server.url, apiKey: 'sk-test-e2e', retries: false }) } })
    const error = await pipeline('x', 'y').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as NodeError).nodeId).toBe('left')
    expect((error as Error).message).toMatch(/Node `left` .* failed: .*500/)
    expect((error as Error).message).not.toContain('sk-test-e2e')
    await server.whenIdle()
    expect(server.log.find((entry) => entry.body.messages[0]?.content === 'R')?.clientClosed).toBe(true)
    expect(server.stats.requests).toBe(2)
  })
})
