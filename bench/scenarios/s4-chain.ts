/**
 * S4, a chain: 20 dependent calls on `fast` with a small latency (5 ms), so that what plait adds
 * per step (graph node, scheduling, limiter, endpoint wrapper) is visible next to the request.
 */
import OpenAI from 'openai'
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import type { Contender } from '../lib/interleave.js'
import { sampleDoc } from './docs.js'
import { chain, S4_STEPS, systemOf, timingFetch } from './s4-baseline.js'

export { chain, S4_STEPS, s4Latency, systemOf } from './s4-baseline.js'

export class Chain extends Module<[text: string], string> {
  steps = Array.from({ length: S4_STEPS }, (_, step) => new LLMInference({ alias: 'fast', system: systemOf(step) }))

  forward(text: string): string {
    let value = text
    for (const step of this.steps) value = step(value)
    return value
  }
}

/** The scenario's two sides; `moduleClass` is the traced class by default, or its compiled version (bench/lib/compiled.ts). */
export function s4(baseURL: string, client: OpenAI, moduleClass: typeof Chain = Chain): Contender<string> {
  const pipeline = new moduleClass().bind({ endpoints: { fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 8 }) } })
  const text = sampleDoc(7)
  return { plait: () => pipeline(text), baseline: () => chain(client, text) }
}

/** Milliseconds each repetition spent inside `fetch` (request sent → response headers), per side. */
export interface TimeInFetch {
  plait: number[]
  baseline: number[]
}

/**
 * S4 with the same timing `fetch` on both sides (the SDK's `fetch` option; `openai()` passes it to
 * its client), for the client-time measure: a repetition's wall time minus its time inside
 * `fetch` is the client's own time, without the server's latency, which wanders by more than
 * plait adds. Each side's repetition pushes its time inside `fetch` to `inFetch`.
 */
export function s4Timed(baseURL: string): { contender: Contender<string>; inFetch: TimeInFetch } {
  let current = 0
  const timedFetch = timingFetch((ms) => (current += ms))
  const client = new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0, fetch: timedFetch })
  const pipeline = new Chain().bind({ endpoints: { fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 8, fetch: timedFetch }) } })
  const text = sampleDoc(7)
  const inFetch: TimeInFetch = { plait: [], baseline: [] }
  const timed = (side: keyof TimeInFetch, run: () => Promise<string>) => async () => {
    current = 0
    const output = await run()
    inFetch[side].push(current)
    return output
  }
  return { contender: { plait: timed('plait', () => pipeline(text)), baseline: timed('baseline', () => chain(client, text)) }, inFetch }
}
