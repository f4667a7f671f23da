/**
 * Batch scaling: the time per item of one `batch()` of one-call items on `simulated()` at 0 ms, for
 * a small and a large batch. A runtime whose work per item grows with the batch (every run adding
 * a listener to the batch's one signal did: Node compares each new listener with all of them) shows
 * here as a per-item time that grows with the item count.
 */
import { median } from '../lib/stats.js'
import { loadSyntheticPackage } from './synthetic-package.js'

/** The item counts compared. */
export const SCALING_SIZES = [1_000, 16_000] as const

/** Median milliseconds per item of a batch of each size in {@link SCALING_SIZES}, over `reps` batches each (interleaved). */
export async function batchScaling(reps: number): Promise<Record<number, number>> {
  const { plait, endpoints } = await loadSyntheticPackage()
  class One extends plait.Module<[string], string> {
    call = new plait.LLMInference({ alias: 'main' })
    forward(text: string): string {
      return this.call(text)
    }
  }
  // One endpoint with room for every item: only the runtime's own work per item is left.
  const pipeline = new One().bind({ endpoints: { main: endpoints.simulated({ latencyMs: 0, maxConcurrent: 1_000_000 }) } })
  const inputs = Object.fromEntries(SCALING_SIZES.map((size) => [size, Array.from({ length: size }, (_, index): [string] => [`item ${index}`])]))
  const samples = Object.fromEntries(SCALING_SIZES.map((size) => [size, [] as number[]]))
  await pipeline.batch(inputs[SCALING_SIZES[0]]!)
  for (let rep = 0; rep < reps; rep++) {
    for (const size of SCALING_SIZES) {
      const started = performance.now()
      const settled = await pipeline.batch(inputs[size]!)
      samples[size]!.push((performance.now() - started) / size)
      if (!settled.every((item) => item.ok)) throw new Error(`Expected every item of the ${size}-item batch to succeed.`)
    }
  }
  return Object.fromEntries(SCALING_SIZES.map((size) => [size, median(samples[size]!)]))
}
