import { describe, expect, it } from 'vitest'
import { LLMInference, Module, pevery, pfilter, pfind, pmap, psome, psortBy } from 'plait'
import { simulated } from 'plait/endpoints'

describe('async-aware helpers', () => {
  it('work on plain arrays with async callbacks', async () => {
    const slowly = async <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms))
    const items = [3, 1, 2]
    expect(await pmap(items, (item) => slowly(item * 2, 10 - item))).toEqual([6, 2, 4])
    expect(await pfilter(items, (item) => slowly(item > 1, item))).toEqual([3, 2])
    expect(await pfind(items, (item) => slowly(item < 3, 5 - item))).toBe(1)
    expect(await pfind(items, async () => false)).toBeUndefined()
    expect(await psome(items, async (item) => item === 2)).toBe(true)
    expect(await pevery(items, async (item) => item > 0)).toBe(true)
    expect(await psortBy(['bb', 'a', 'ccc', 'dd'], async (item) => item.length)).toEqual(['a', 'bb', 'dd', 'ccc'])
    await expect(pmap('no' as unknown as string[], async () => 1)).rejects.toThrow(/Expected an array/)
  })

  it('start every callback at once inside a pipeline, calls after an await included', async () => {
    const starts: number[] = []
    const t0 = performance.now()
    class Relevant extends Module<[string[]], Promise<string[]>> {
      classify = new LLMInference({ alias: 'main', system: 'C' })
      polish = new LLMInference({ alias: 'main', system: 'P' })
      async forward(docs: string[]): Promise<string[]> {
        return pfilter(docs, async (doc) => {
          const label = await this.classify(doc)
          return (await this.polish(label)).includes('keep')
        })
      }
    }
    const endpoint = simulated({
      latencyMs: 20,
      reply: (request) => {
        starts.push(performance.now() - t0)
        const text = request.messages.at(-1)!.content
        return text.includes('keep') ? 'keep' : 'drop'
      },
    })
    expect(await new Relevant().bind({ endpoints: { main: endpoint } })(['keep a', 'b', 'keep c'])).toEqual(['keep a', 'keep c'])
    // Three classify calls at once, then three polish calls at once.
    expect(starts.length).toBe(6)
    expect(starts[2]! - starts[0]!).toBeLessThan(15)
  })
})
