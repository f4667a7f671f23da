import { describe, expectTypeOf, it } from 'vitest'
import { LLMInference, Module, memoryStore, fileStore, type BatchOptions, type Ledger, type Progress, type Settled, type Spend } from 'plait'
import { simulated } from 'plait/endpoints'

class One extends Module<[string], string> {
  call = new LLMInference({ alias: 'main' })
  forward(input: string): string {
    return this.call(input)
  }
}

describe('types of batch, memo and ledger options', () => {
  it('types the new options and the ledger', () => {
    const pipeline = new One().bind({ endpoints: { main: simulated() }, store: memoryStore(), prices: { main: { inputPerMillion: 1, outputPerMillion: 2 } }, budget: { tokens: 10 } })
    expectTypeOf(pipeline.ledger).toEqualTypeOf<Ledger>()
    expectTypeOf(pipeline.ledger.total).toEqualTypeOf<Spend>()
    expectTypeOf(pipeline.ledger.byAlias).toEqualTypeOf<Record<string, Spend>>()
    expectTypeOf<BatchOptions['onProgress']>().toEqualTypeOf<((progress: Progress) => void) | undefined>()
    // Only type-checked, never called.
    const batch = () => pipeline.batch([['a']], { store: fileStore('never-written.jsonl'), runId: 'r', budget: { cost: 1 }, concurrency: 2, progressBar: false })
    expectTypeOf(batch).returns.resolves.toEqualTypeOf<Array<Settled<string>>>()
    const wrong = () => [
      // @ts-expect-error: a store is a MemoStore, not a path
      pipeline.run(['a'], { store: 'memo.jsonl' }),
      // @ts-expect-error: runId is a string
      pipeline.run(['a'], { store: memoryStore(), runId: 1 }),
    ]
    expectTypeOf(wrong).toBeFunction()
  })
})
