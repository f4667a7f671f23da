/**
 * Memo stores through pipelines: hits and misses, what the key is sensitive to, runId namespaces,
 * identical calls, failures and secrets.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { fileStore, LLMInference, memoryStore, Module, NodeError, Parameter, type MemoEntry, type MemoStore } from 'plait'
import { openai, simulated, type CompletionRequest } from 'plait/endpoints'
import { startMockOpenAIServer, type MockOpenAIServer } from '../support/openai-server.js'

const userText = (request: CompletionRequest) => request.messages.at(-1)!.content

/** A simulated endpoint whose replies carry the request number, so a repeated call shows. */
const counting = (latencyMs = 0) =>
  simulated({ latencyMs, reply: (request, { index }) => `reply #${index} to ${userText(request)}` })

/** A memory store that logs the keys it is asked for and given. */
function spyStore() {
  const inner = memoryStore()
  const gets: string[] = []
  const sets: string[] = []
  const store: MemoStore & { gets: string[]; sets: string[]; size: number } = {
    kind: 'spy',
    get: (key: string) => (gets.push(key), inner.get(key)),
    set: (key: string, entry: MemoEntry) => (sets.push(key), inner.set(key, entry)),
    gets,
    sets,
    get size() {
      return inner.size
    },
  }
  return store
}

class Summarize extends Module<[string], string> {
  style = new Parameter('Be brief.', { description: 'How to summarize.' })
  summarize: LLMInference
  constructor(temperature = 0) {
    super()
    this.summarize = new LLMInference({ alias: 'main', system: this.style, temperature })
  }
  forward(doc: string): string {
    return this.summarize(doc)
  }
}

describe('memo store through a pipeline', () => {
  it('misses, stores, then answers the same request from the store', async () => {
    const endpoint = counting()
    const store = memoryStore()
    const pipeline = new Summarize().bind({ endpoints: { main: endpoint } })
    const first = await pipeline.run(['doc'], { store })
    expect(first).toBe('reply #0 to doc')
    expect(store.size).toBe(1)
    expect(await pipeline.run(['doc'], { store })).toBe(first)
    expect(endpoint.stats.requests).toBe(1)
    expect(await pipeline.run(['other'], { store })).toBe('reply #1 to other')
    expect(endpoint.stats.requests).toBe(2)
    expect(pipeline.ledger.total).toMatchObject({ calls: 2, cachedCalls: 1 })
    // Without a store nothing is memoized.
    expect(await pipeline.run(['doc'])).toBe('reply #2 to doc')
  })

  it('changes the key with the system Parameter value and the temperature; the same inputs hit', async () => {
    const endpoint = counting()
    const store = spyStore()
    const module = new Summarize()
    const pipeline = module.bind({ endpoints: { main: endpoint } })
    await pipeline.run(['doc'], { store })
    await pipeline.run(['doc'], { store })
    expect(new Set(store.gets).size).toBe(1)
    expect(endpoint.stats.requests).toBe(1)

    module.style.value = 'Be thorough.'
    expect(await pipeline.run(['doc'], { store })).toBe('reply #1 to doc')
    expect(endpoint.stats.requests).toBe(2)
    module.style.value = 'Be brief.'
    expect(await pipeline.run(['doc'], { store })).toBe('reply #0 to doc')
    expect(endpoint.stats.requests).toBe(2)

    const warmer = new Summarize(0.7).bind({ endpoints: { main: endpoint } })
    expect(await warmer.run(['doc'], { store })).toBe('reply #2 to doc')
    expect(endpoint.stats.requests).toBe(3)
    expect(new Set(store.sets).size).toBe(3)
    expect(store.sets.every((key) => /^[0-9a-f]{64}$/.test(key))).toBe(true)
  })

  it('changes the key with the model, and keeps runIds apart', async () => {
    const store = memoryStore()
    const a = counting()
    const b = simulated({ model: 'other-model', reply: (request, { index }) => `other #${index} to ${userText(request)}` })
    await new Summarize().bind({ endpoints: { main: a } }).run(['doc'], { store })
    expect(await new Summarize().bind({ endpoints: { main: b } }).run(['doc'], { store })).toBe('other #0 to doc')

    const pipeline = new Summarize().bind({ endpoints: { main: a } })
    expect(await pipeline.run(['doc'], { store, runId: 'nightly' })).toBe('reply #1 to doc')
    expect(await pipeline.run(['doc'], { store, runId: 'nightly' })).toBe('reply #1 to doc')
    expect(await pipeline.run(['doc'], { store, runId: 'weekly' })).toBe('reply #2 to doc')
    expect(await pipeline.run(['doc'], { store })).toBe('reply #0 to doc')
    expect(a.stats.requests).toBe(3)
  })

  it('keeps repeated samples of one run apart, and replays them in order', async () => {
    class Vote extends Module<[string], string[]> {
      sample = new LLMInference({ alias: 'main', temperature: 1 })
      forward(question: string): string[] {
        return [this.sample(question), this.sample(question), this.sample(question)]
      }
    }
    const endpoint = counting()
    const store = memoryStore()
    const pipeline = new Vote().bind({ endpoints: { main: endpoint } })
    const first = await pipeline.run(['q'], { store })
    expect(first).toEqual(['reply #0 to q', 'reply #1 to q', 'reply #2 to q'])
    expect(await pipeline.run(['q'], { store })).toEqual(first)
    expect(endpoint.stats.requests).toBe(3)
  })

  it('makes one request for identical items of a batch, in flight together', async () => {
    const endpoint = counting(30)
    const store = memoryStore()
    const pipeline = new Summarize().bind({ endpoints: { main: endpoint } })
    const items = await pipeline.batch([['same'], ['same'], ['same'], ['different']], { store })
    expect(items.map((item) => (item.ok ? item.value : item.error))).toEqual(['reply #0 to same', 'reply #0 to same', 'reply #0 to same', 'reply #1 to different'])
    expect(endpoint.stats.requests).toBe(2)
    expect(pipeline.ledger.total).toMatchObject({ calls: 2, cachedCalls: 2 })
  })

  it('stores only successful replies', async () => {
    let fail = true
    const endpoint = simulated({ faults: () => (fail ? { status: 400, message: 'bad request' } : 'ok'), reply: 'fine' })
    const store = memoryStore()
    const pipeline = new Summarize().bind({ endpoints: { main: endpoint } })
    await expect(pipeline.run(['doc'], { store })).rejects.toBeInstanceOf(NodeError)
    expect(store.size).toBe(0)
    fail = false
    expect(await pipeline.run(['doc'], { store })).toBe('fine')
    expect(store.size).toBe(1)
    expect(endpoint.stats.requests).toBe(2)
  })

  it('replays structured-output re-asks without asking again', async () => {
    class Classify extends Module<[string], { label: string }> {
      classify = new LLMInference({ alias: 'main', output: z.object({ label: z.string() }) })
      forward(text: string) {
        return this.classify(text)
      }
    }
    const endpoint = simulated({ reply: (_request, { index }) => (index === 0 ? 'not json' : '{"label":"ok"}') })
    const store = memoryStore()
    const pipeline = new Classify().bind({ endpoints: { main: endpoint } })
    expect(await pipeline.run(['x'], { store })).toEqual({ label: 'ok' })
    expect(await pipeline.run(['x'], { store })).toEqual({ label: 'ok' })
    expect(endpoint.stats.requests).toBe(2)
    expect(store.size).toBe(2)
  })

  it('uses the pipeline store for run, batch and stream; store: false turns it off', async () => {
    const endpoint = counting()
    const store = memoryStore()
    const pipeline = new Summarize().bind({ endpoints: { main: endpoint }, store })
    await pipeline('a')
    expect((await pipeline.batch([['a'], ['b']])).map((item) => item.ok && item.value)).toEqual(['reply #0 to a', 'reply #1 to b'])
    const streamed: string[] = []
    for await (const item of pipeline.stream([['a'], ['b'], ['c']], { ordered: true })) if (item.ok) streamed.push(item.value)
    expect(streamed).toEqual(['reply #0 to a', 'reply #1 to b', 'reply #2 to c'])
    expect(endpoint.stats.requests).toBe(3)
    expect(await pipeline.run(['a'], { store: false })).toBe('reply #3 to a')
  })

  it('rejects wrong memo options with what was expected', async () => {
    const pipeline = new Summarize().bind({ endpoints: { main: counting() } })
    await expect(pipeline.run(['a'], { runId: 'x' })).rejects.toThrow("Expected a `store` with `runId` (it names the memo entries of resumable work), got none; pass e.g. `store: fileStore('.plait/memo.jsonl')`.")
    await expect(pipeline.batch([['a']], { store: memoryStore(), runId: '' })).rejects.toThrow('Expected `runId` to be a non-empty string, got a string.')
    await expect(pipeline.batch([['a']], { store: {} as MemoStore })).rejects.toThrow('Expected `store` of batch() to be a memo store')
    expect(() => new Summarize().bind({ endpoints: { main: counting() }, store: 'memo.jsonl' as unknown as MemoStore })).toThrow('Expected `store` of bind() to be a memo store')
  })
})

describe('memo file with a real HTTP endpoint', () => {
  let server: MockOpenAIServer
  let folder: string
  beforeAll(async () => {
    server = await startMockOpenAIServer({ latencyMs: 5 })
    folder = mkdtempSync(join(tmpdir(), 'plait-memo-'))
  })
  afterAll(async () => {
    await server.close()
    rmSync(folder, { recursive: true, force: true })
  })

  it('never writes the API key, and replays across store instances', async () => {
    const path = join(folder, 'memo.jsonl')
    const secret = 'sk-test-do-not-store-1234567890'
    const pipeline = new Summarize().bind({ endpoints: { main: openai({ model: 'memo-model', baseURL: server.url, apiKey: secret }) } })
    const store = fileStore(path)
    const first = await pipeline.batch([['one'], ['two']], { store, runId: 'http' })
    await store.close()
    expect(server.stats.requests).toBe(2)
    const text = readFileSync(path, 'utf8')
    expect(text).not.toContain(secret)
    expect(text.trimEnd().split('\n')).toHaveLength(2)

    const reopened = fileStore(path)
    expect(await pipeline.batch([['one'], ['two']], { store: reopened, runId: 'http' })).toEqual(first)
    await reopened.close()
    expect(server.stats.requests).toBe(2)
  })
})
