/**
 * The cost and token ledger and budgets: sums against what the server reported, per alias and per
 * run; budgets that stop new calls with a clear error while calls in flight finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BudgetExceededError, LLMInference, Ledger, memoryStore, Module, NodeError, type LedgerEntry } from 'plait'
import { openai, simulated, type CompletionRequest } from 'plait/endpoints'
import { startMockOpenAIServer, type MockChatBody, type MockOpenAIServer } from '../support/openai-server.js'

const userText = (request: CompletionRequest) => request.messages.at(-1)!.content

class Chain extends Module<[string], string> {
  extract = new LLMInference({ alias: 'fast', system: 'Extract.' })
  judge = new LLMInference({ alias: 'smart', system: 'Judge.' })
  forward(doc: string): string {
    return this.judge(`Facts: ${this.extract(doc)}`)
  }
}

class One extends Module<[string], string> {
  call = new LLMInference({ alias: 'main' })
  forward(input: string): string {
    return this.call(input)
  }
}

/** Fixed usage per request: 100 prompt + 10 completion tokens. */
const fixedUsage = (latencyMs = 0, maxConcurrent = 64) =>
  simulated({ latencyMs, maxConcurrent, reply: (request) => `re ${userText(request)}` })

describe('ledger', () => {
  let server: MockOpenAIServer
  const served: Array<{ model: string; prompt: number; completion: number }> = []
  beforeAll(async () => {
    server = await startMockOpenAIServer({ latencyMs: 5 })
    server.setHandler((body: MockChatBody, { index }) => {
      const prompt = 50 + ((index * 7) % 31)
      const completion = 5 + ((index * 3) % 11)
      served.push({ model: body.model, prompt, completion })
      return {
        body: {
          id: `chatcmpl-${index}`,
          object: 'chat.completion',
          created: 0,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `answer ${index}`, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
        },
      }
    })
  })
  afterAll(async () => {
    await server.close()
  })

  it('sums the usage the server reported, per alias and per run, priced per alias or model', async () => {
    const prices = { fast: { inputPerMillion: 0.15, outputPerMillion: 0.6 }, 'judge-model': { inputPerMillion: 2.5, outputPerMillion: 10 } }
    const pipeline = new Chain().bind({
      endpoints: {
        fast: openai({ model: 'fast-model', baseURL: server.url, apiKey: 'sk-test' }),
        smart: openai({ model: 'judge-model', baseURL: server.url, apiKey: 'sk-test' }),
      },
      prices,
    })
    const ledger = new Ledger()
    const entries: LedgerEntry[] = []
    ledger.subscribe((entry) => entries.push(entry))
    const items = await pipeline.batch(Array.from({ length: 12 }, (_, index): [string] => [`doc ${index}`]), { ledger, concurrency: 4 })
    expect(items.every((item) => item.ok)).toBe(true)
    expect(served).toHaveLength(24)

    const sum = (model?: string) => {
      const rows = served.filter((row) => model === undefined || row.model === model)
      return { prompt: rows.reduce((total, row) => total + row.prompt, 0), completion: rows.reduce((total, row) => total + row.completion, 0) }
    }
    const all = sum()
    const fast = sum('fast-model')
    const judge = sum('judge-model')
    const fastCost = (fast.prompt * 0.15 + fast.completion * 0.6) / 1e6
    const judgeCost = (judge.prompt * 2.5 + judge.completion * 10) / 1e6
    for (const target of [ledger, pipeline.ledger]) {
      expect(target.total).toMatchObject({ calls: 24, cachedCalls: 0, failedCalls: 0, promptTokens: all.prompt, completionTokens: all.completion, totalTokens: all.prompt + all.completion, unpricedCalls: 0 })
      expect(target.total.cost).toBeCloseTo(fastCost + judgeCost, 12)
      expect(target.byAlias.fast).toMatchObject({ calls: 12, promptTokens: fast.prompt, completionTokens: fast.completion })
      expect(target.byAlias.fast!.cost).toBeCloseTo(fastCost, 12)
      expect(target.byAlias.smart).toMatchObject({ calls: 12, promptTokens: judge.prompt, completionTokens: judge.completion })
      expect(target.byAlias.smart!.cost).toBeCloseTo(judgeCost, 12)
    }
    const runs = ledger.runs
    expect(runs.map((run) => run.index).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 12 }, (_, index) => index))
    expect(runs.every((run) => run.calls === 2 && run.byAlias.fast?.calls === 1 && run.byAlias.smart?.calls === 1)).toBe(true)
    expect(runs.reduce((total, run) => total + run.totalTokens, 0)).toBe(all.prompt + all.completion)
    expect(new Set(runs.map((run) => run.run)).size).toBe(12)
    expect(entries).toHaveLength(24)
    expect(entries.filter((entry) => entry.model === 'judge-model').every((entry) => entry.alias === 'smart' && entry.priced)).toBe(true)
    expect(JSON.parse(JSON.stringify(ledger))).toMatchObject({ total: { calls: 24 }, byAlias: { fast: { calls: 12 } } })

    // A second batch goes to the pipeline's ledger, not to the first batch's.
    await pipeline.batch([['again']])
    expect(ledger.total.calls).toBe(24)
    expect(pipeline.ledger.total.calls).toBe(26)
  })

  it('counts unpriced, failed and cached calls apart', async () => {
    let fail = false
    const endpoint = simulated({ reply: 'ok', faults: () => (fail ? { status: 400 } : 'ok') })
    const pipeline = new One().bind({ endpoints: { main: endpoint } })
    const store = memoryStore()
    await pipeline.run(['a'], { store })
    await pipeline.run(['a'], { store })
    fail = true
    await expect(pipeline.run(['b'])).rejects.toBeInstanceOf(NodeError)
    expect(pipeline.ledger.total).toMatchObject({ calls: 1, cachedCalls: 1, failedCalls: 1, cost: 0, unpricedCalls: 1 })
  })
})

describe('budget', () => {
  it('stops starting new calls once the tokens are spent, with a clear error', async () => {
    const endpoint = fixedUsage()
    const pipeline = new One().bind({ endpoints: { main: endpoint } })
    // Each call: prompt "item N" (6 chars, 2 tokens) + reply "re item N" (9 chars, 3 tokens) = 5 tokens.
    const items = await pipeline.batch(Array.from({ length: 10 }, (_, index): [string] => [`item ${index}`]), { concurrency: 1, budget: { tokens: 12 } })
    expect(items.map((item) => item.ok)).toEqual([true, true, true, false, false, false, false, false, false, false])
    expect(endpoint.stats.requests).toBe(3)
    const failure = items[3]!
    expect(failure.ok).toBe(false)
    const error = (failure as { error: NodeError }).error
    expect(error).toBeInstanceOf(NodeError)
    const cause = error.cause as BudgetExceededError
    expect(cause).toBeInstanceOf(BudgetExceededError)
    expect(cause.scope).toBe('batch')
    expect(cause.limit).toBe('tokens')
    expect(cause.budget).toEqual({ tokens: 12 })
    expect(cause.spent).toMatchObject({ calls: 3, totalTokens: 15 })
    expect(cause.message).toBe(
      "The batch's budget (`batch(…, { budget })`) of 12 tokens is spent: 15 tokens (6 prompt + 9 completion) and a cost of 0 in 3 calls. No new LLM call starts; calls already in flight finish. Raise `budget.tokens` to go on (replies kept in a memo store are not paid twice).",
    )
    expect(error.message).toContain('failed: The batch\'s budget')
    expect(pipeline.ledger.total).toMatchObject({ calls: 3, blockedCalls: 7 })
  })

  it('lets calls in flight finish, and refuses calls still queued behind the endpoint limit', async () => {
    const endpoint = fixedUsage(40, 2)
    const pipeline = new One().bind({ endpoints: { main: endpoint } })
    const items = await pipeline.batch(Array.from({ length: 8 }, (_, index): [string] => [`item ${index}`]), { budget: { tokens: 1 } })
    // Two were sending when the budget was reached and finished. The calls queued behind them never
    // reached the endpoint, except at most one per slot: the call the endpoint admits into the slot a
    // reply frees, in the instant before that reply's usage is counted (see docs/batch.md).
    const ok = items.filter((item) => item.ok).length
    expect(ok).toBeGreaterThanOrEqual(2)
    expect(ok).toBeLessThanOrEqual(4)
    expect(endpoint.stats.requests).toBe(ok)
    expect(items.filter((item) => !item.ok).every((item) => (item as { error: Error }).error.cause instanceof BudgetExceededError)).toBe(true)
    expect(pipeline.ledger.total).toMatchObject({ calls: ok, totalTokens: 5 * ok, blockedCalls: 8 - ok })
  })

  it('limits cost with prices, and needs a price for every alias it limits', async () => {
    expect(() => new One().bind({ endpoints: { main: fixedUsage() }, budget: { cost: 1 } })).toThrow(
      'Expected `prices` in bind() for every alias One calls, because `budget.cost` of bind() is set; no price for `main` (model simulated).',
    )
    const pipeline = new One().bind({ endpoints: { main: fixedUsage() }, prices: { simulated: { inputPerMillion: 1_000_000, outputPerMillion: 0 } } })
    // 2 prompt tokens at 1 per token: 2 per call.
    const items = await pipeline.batch(Array.from({ length: 5 }, (_, index): [string] => [`item ${index}`]), { concurrency: 1, budget: { cost: 5 } })
    expect(items.map((item) => item.ok)).toEqual([true, true, true, false, false])
    const cause = (items[3] as { error: Error }).error.cause as BudgetExceededError
    expect(cause.limit).toBe('cost')
    expect(cause.message).toContain('of a cost of 5.00 is spent')
    expect(cause.message).toContain('a cost of 6.00 in 3 calls')
  })

  it('holds a pipeline budget across runs, and never refuses a memo hit', async () => {
    const endpoint = fixedUsage()
    const store = memoryStore()
    const pipeline = new One().bind({ endpoints: { main: endpoint }, budget: { tokens: 10 }, store })
    await pipeline('item 1')
    await pipeline('item 2')
    const error = await pipeline('item 3').catch((caught: unknown) => caught)
    expect((error as Error).cause).toBeInstanceOf(BudgetExceededError)
    expect(((error as Error).cause as BudgetExceededError).scope).toBe('pipeline')
    expect((error as Error).message).toContain("The pipeline's budget (`bind({ budget })`) of 10 tokens is spent")
    expect(await pipeline('item 1')).toBe('re item 1')
    expect(endpoint.stats.requests).toBe(2)
  })

  it('checks budget and prices options', async () => {
    const pipeline = new One().bind({ endpoints: { main: fixedUsage() } })
    await expect(pipeline.run(['x'], { budget: {} })).rejects.toThrow('Expected `budget` of run() to set `tokens` or `cost` (or both), got neither.')
    await expect(pipeline.batch([['x']], { budget: { tokens: -1 } })).rejects.toThrow('Expected `budget.tokens` of batch() to be a number >= 0, got -1.')
    await expect(pipeline.run(['x'], { budget: { token: 5 } as never })).rejects.toThrow('Expected `budget` of run() to have only `tokens` and `cost`, got `token`.')
    expect(() => new One().bind({ endpoints: { main: fixedUsage() }, prices: { main: { inputPerMillion: 1 } as never } })).toThrow('Expected `prices.main.outputPerMillion` to be a number >= 0, got undefined.')
  })
})
