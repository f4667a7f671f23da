/**
 * S4, a chain: 20 dependent calls on `fast` with a small latency (5 ms), so that what plait adds
 * per step (graph node, scheduling, limiter, endpoint wrapper) is visible next to the request.
 */
import type OpenAI from 'openai'
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import type { Contender } from '../lib/interleave.js'
import { chat } from './baseline-chat.js'
import { sampleDoc } from './docs.js'

export const S4_STEPS = 20
export const systemOf = (step: number) => `Step ${step + 1}: rewrite the text more plainly.`

export class Chain extends Module<[text: string], string> {
  steps = Array.from({ length: S4_STEPS }, (_, step) => new LLMInference({ alias: 'fast', system: systemOf(step) }))

  forward(text: string): string {
    let value = text
    for (const step of this.steps) value = step(value)
    return value
  }
}

/** The hand-written equivalent: one await after another. */
export async function chain(client: OpenAI, text: string): Promise<string> {
  let value = text
  for (let step = 0; step < S4_STEPS; step++) value = await chat(client, 'fast', systemOf(step), value)
  return value
}

export const s4Latency = { fast: 5 }

/** The scenario's two sides; `moduleClass` is the traced class by default, or its compiled version (bench/lib/compiled.ts). */
export function s4(baseURL: string, client: OpenAI, moduleClass: typeof Chain = Chain): Contender<string> {
  const pipeline = new moduleClass().bind({ endpoints: { fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 8 }) } })
  const text = sampleDoc(7)
  return { plait: () => pipeline(text), baseline: () => chain(client, text) }
}
