import { describe, expectTypeOf, it } from 'vitest'
import { LLMInference, Module, Sequential, type Graph, type Pipeline, type Settled } from 'plait'
import { simulated } from 'plait/endpoints'
import { z } from 'zod'

class Extract extends Module<[doc: string], string[]> {
  extractor = new LLMInference({ alias: 'fast' })
  forward(doc: string): string[] {
    return this.extractor(doc).split('\n')
  }
}

class Compare extends Module<[doc1: string, doc2: string], { summary: string; facts: string[] }> {
  extract = new Extract()
  judge = new LLMInference({ alias: 'smart', output: z.object({ winner: z.string(), score: z.number() }) })
  forward(doc1: string, doc2: string) {
    const facts = this.extract(doc1)
    expectTypeOf(facts).toEqualTypeOf<string[]>()
    const verdict = this.judge(`${facts.join()} vs ${doc2}`)
    expectTypeOf(verdict).toEqualTypeOf<{ winner: string; score: number }>()
    expectTypeOf(this.extract.forward(doc2)).toEqualTypeOf<string[]>()
    return { summary: verdict.winner, facts }
  }
}

describe('types', () => {
  const endpoints = { fast: simulated(), smart: simulated() }

  it('types child calls inside forward() and the bound pipeline', async () => {
    const pipeline = new Compare().bind({ endpoints })
    expectTypeOf(pipeline).toEqualTypeOf<Pipeline<[doc1: string, doc2: string], { summary: string; facts: string[] }>>()
    expectTypeOf(pipeline).parameters.toEqualTypeOf<[doc1: string, doc2: string]>()
    expectTypeOf(pipeline).returns.toEqualTypeOf<Promise<{ summary: string; facts: string[] }>>()
    // @ts-expect-error: forward() takes two strings
    expectTypeOf(pipeline).toBeCallableWith('only one')
    expectTypeOf(pipeline.run).parameter(0).toEqualTypeOf<[doc1: string, doc2: string]>()
  })

  it('types batch() and stream()', () => {
    const pipeline = new Extract().bind({ endpoints })
    expectTypeOf(pipeline.batch).parameter(0).toEqualTypeOf<Iterable<[doc: string]>>()
    expectTypeOf(pipeline.batch).returns.resolves.toEqualTypeOf<Array<Settled<string[]>>>()
    expectTypeOf(pipeline.stream).returns.toEqualTypeOf<AsyncIterableIterator<Settled<string[]>>>()
    const item = {} as Settled<string[]>
    if (item.ok) expectTypeOf(item.value).toEqualTypeOf<string[]>()
    else expectTypeOf(item.error).toBeUnknown()
  })

  it('types LLMInference by its output schema and async modules by their awaited output', () => {
    expectTypeOf(new LLMInference({ alias: 'a' })).toEqualTypeOf<LLMInference<string>>()
    expectTypeOf(new LLMInference({ alias: 'a' })).parameters.toEqualTypeOf<[input: string | import('plait').ChatMessage[]]>()
    class Async extends Module<[string], Promise<number>> {
      async forward(input: string) {
        return input.length
      }
    }
    expectTypeOf(new Async().bind({ endpoints })).returns.toEqualTypeOf<Promise<number>>()
    expectTypeOf(new Sequential<[string], string>().bind({ endpoints })).returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf(new Extract().graph).returns.toEqualTypeOf<Graph>()
    // @ts-expect-error: graph() takes forward()'s inputs
    new Extract().graph(1)
  })
})
