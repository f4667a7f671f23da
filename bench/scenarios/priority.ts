/**
 * Critical path first vs FIFO: a batch whose items each have one long chain of dependent calls
 * and many independent short calls, all on ONE capped endpoint. The same batch runs under
 * `bind({ scheduling: 'critical-path' })` and `bind({ scheduling: 'fifo' })`.
 */
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'

/** Items in the batch, calls in each chain, independent calls per item, the endpoint's cap, the latency. */
export const priorityShape = { items: 4, chain: 10, shorts: 30, cap: 20, latencyMs: 100 }

export class ChainAndChecks extends Module<[topic: string], string[]> {
  refine = new LLMInference({ alias: 'main', system: 'Refine the draft.' })
  check = new LLMInference({ alias: 'main', system: 'Check one aspect.' })

  forward(topic: string): string[] {
    // The chain first: under FIFO its head is also the first call of the item to queue.
    let draft = this.refine(`Draft 1 on ${topic}`)
    for (let step = 2; step <= priorityShape.chain; step++) draft = this.refine(`Draft ${step} on ${topic}:\n${draft}`)
    const checks: string[] = []
    for (let aspect = 1; aspect <= priorityShape.shorts; aspect++) checks.push(this.check(`Aspect ${aspect} of ${topic}`))
    return [draft, ...checks]
  }
}

export function priorityPipeline(baseURL: string, scheduling: 'critical-path' | 'fifo'): (topics: string[]) => Promise<string[][]> {
  const pipeline = new ChainAndChecks().bind({
    scheduling,
    endpoints: { main: openai({ model: 'main', baseURL, apiKey: 'bench', maxConcurrent: priorityShape.cap }) },
  })
  return async (topics) => {
    const items = await pipeline.batch(topics.map((topic): [string] => [topic]))
    return items.map((item) => {
      if (!item.ok) throw new Error(`priority (${scheduling}): item ${item.index} failed: ${String(item.error)}`)
      return item.value
    })
  }
}

export const priorityTopics = (items: number): string[] => Array.from({ length: items }, (_, index) => `topic ${index + 1}`)

/** The least makespan: the chain's latencies back to back, or every call through `cap` slots. */
export function priorityBound(shape = priorityShape): number {
  const calls = shape.items * (shape.chain + shape.shorts)
  return Math.max(shape.chain, Math.ceil(calls / shape.cap)) * shape.latencyMs
}
