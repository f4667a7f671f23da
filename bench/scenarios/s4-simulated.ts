/**
 * S4 without HTTP: the same 20-step chain on `simulated({ latencyMs: 0 })` in process, against
 * awaiting that endpoint's `complete()` directly. Over loopback HTTP one SDK call costs ~1.4 ms of
 * client work and wanders by ±0.1 ms between repetitions, which hides a per-step cost of tens of
 * µs; here what plait's runtime adds per step (node, future, limiter, backend) stands alone.
 */
import { simulated, type CompletionRequest } from 'plait/endpoints'
import type { Contender } from '../lib/interleave.js'
import { sampleDoc } from './docs.js'
import { Chain, S4_STEPS, systemOf } from './s4-chain.js'

export function s4Simulated(): Contender<string> {
  const endpoint = simulated({ model: 'fast', latencyMs: 0, maxConcurrent: 8 })
  const pipeline = new Chain().bind({ endpoints: { fast: endpoint } })
  const text = sampleDoc(7)
  const { signal } = new AbortController()
  const request = (step: number, input: string): CompletionRequest => ({
    messages: [
      { role: 'system', content: systemOf(step) },
      { role: 'user', content: input },
    ],
  })
  const direct = async () => {
    let value = text
    for (let step = 0; step < S4_STEPS; step++) value = (await endpoint.complete(request(step, value), { signal })).text
    return value
  }
  return { plait: () => pipeline(text), baseline: direct }
}
