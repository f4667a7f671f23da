/**
 * A retry inside a diamond: retries live at the leaf call, so a branch that 429s after its sibling
 * finished is retried on its own; the run completes and no finished node runs again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LLMInference, Module, type NodeRecord } from 'plait'
import { openai, simulated, type CompletionRequest, type Endpoint } from 'plait/endpoints'
import type { CallEvent } from '../../runtime/events.js'
import { startMockOpenAIServer, type MockChatBody, type MockOpenAIServer } from '../support/openai-server.js'

class Diamond extends Module<[string], string> {
  top = new LLMInference({ alias: 'main', system: 'TOP' })
  left = new LLMInference({ alias: 'main', system: 'LEFT' })
  right = new LLMInference({ alias: 'main', system: 'RIGHT' })
  join = new LLMInference({ alias: 'main', system: 'JOIN' })
  forward(input: string): string {
    const top = this.top(input)
    const left = this.left(top)
    const right = this.right(top)
    return this.join(`${left} | ${right}`)
  }
}

const systemOf = (request: CompletionRequest) => request.messages[0]?.content ?? ''
const lastOf = (request: CompletionRequest) => request.messages.at(-1)?.content ?? ''

async function runDiamond(endpoint: Endpoint, calls: () => Record<string, number>) {
  const records: NodeRecord[] = []
  const value = await new Diamond().bind({ endpoints: { main: endpoint } }).run(['in'], { onNode: (record) => records.push(record) })
  const byId = new Map(records.map((record) => [record.id, record]))
  const events = (id: string) => (byId.get(id)?.details?.events ?? []) as CallEvent[]
  return { value, byId, events, calls: calls() }
}

describe('a retry inside a diamond', () => {
  it('completes when one branch 429s after its sibling finished, re-running nothing else', async () => {
    const calls: Record<string, number> = {}
    const endpoint = simulated({
      latencyMs: (request) => (systemOf(request) === 'RIGHT' ? 80 : 10),
      faults: (request) => {
        const system = systemOf(request)
        calls[system] = (calls[system] ?? 0) + 1
        return system === 'RIGHT' && calls[system] === 1 ? { status: 429, retryAfterMs: 50 } : 'ok'
      },
      reply: (request) => `${systemOf(request)}(${lastOf(request)})`,
      retries: { baseMs: 1 },
    })
    const { value, byId, events } = await runDiamond(endpoint, () => calls)
    expect(value).toBe('JOIN(LEFT(TOP(in)) | RIGHT(TOP(in)))')
    expect(calls).toEqual({ TOP: 1, LEFT: 1, RIGHT: 2, JOIN: 1 })
    expect([...byId.values()].every((record) => record.state === 'done')).toBe(true)
    // The sibling had finished before the 429 came back.
    const retry = events('right').find((event) => event.type === 'retry')!
    expect(retry).toMatchObject({ status: 429, retryAfterMs: 50 })
    expect(events('left').at(-1)!.at).toBeLessThan(retry.at)
    expect(events('left').filter((event) => event.type === 'attempt')).toHaveLength(1)
    expect(events('top').filter((event) => event.type === 'attempt')).toHaveLength(1)
  })

  describe('over HTTP', () => {
    let server: MockOpenAIServer
    beforeAll(async () => {
      server = await startMockOpenAIServer({ latencyMs: (body) => (String(body.messages[0]?.content) === 'RIGHT' ? 80 : 10) })
    })
    afterAll(async () => {
      await server.close()
    })

    it('completes the same way with the openai endpoint', async () => {
      const seen: Record<string, number> = {}
      const system = (body: MockChatBody) => String(body.messages[0]?.content)
      server.setHandler((body) => {
        const name = system(body)
        seen[name] = (seen[name] ?? 0) + 1
        if (name === 'RIGHT' && seen[name] <= 2) return { status: 429, headers: { 'retry-after-ms': '40' } }
        return `${name}(${String(body.messages.at(-1)?.content)})`
      })
      const { value, events } = await runDiamond(openai({ model: 'm', baseURL: server.url, apiKey: 'k', retries: { baseMs: 1 } }), () => seen)
      expect(value).toBe('JOIN(LEFT(TOP(in)) | RIGHT(TOP(in)))')
      expect(seen).toEqual({ TOP: 1, LEFT: 1, RIGHT: 3, JOIN: 1 })
      expect(events('right').filter((event) => event.type === 'retry')).toHaveLength(2)
    })
  })
})
