/**
 * The parts of S4 that do not need plait: its steps, latency, the hand-written baseline and the
 * timing `fetch` of the client-time measure. `bench/ab-sim.ts` imports them without loading
 * plait's sources next to the builds it compares; `feature-floor.ts` and `lib/mini-runtime.ts`
 * use them too.
 */
import type OpenAI from 'openai'
import { chat } from './baseline-chat.js'

export const S4_STEPS = 20
export const systemOf = (step: number) => `Step ${step + 1}: rewrite the text more plainly.`
export const s4Latency = { fast: 5 }

/** The hand-written equivalent of the chain: one await after another. */
export async function chain(client: OpenAI, text: string): Promise<string> {
  let value = text
  for (let step = 0; step < S4_STEPS; step++) value = await chat(client, 'fast', systemOf(step), value)
  return value
}

/**
 * A `fetch` (for the SDK's `fetch` option) that adds the milliseconds each request spends inside
 * it (request sent → response headers) to `spent`.
 *
 * @example
 * ```ts
 * let inFetch = 0
 * const client = new OpenAI({ baseURL, apiKey: 'bench', fetch: timingFetch((ms) => (inFetch += ms)) })
 * ```
 */
export function timingFetch(spent: (ms: number) => void): typeof fetch {
  return async (input, init) => {
    const started = performance.now()
    try {
      return await fetch(input, init)
    } finally {
      spent(performance.now() - started)
    }
  }
}
