/**
 * S1, extract and compare: two extractions on `fast` in parallel, then one comparison on `smart`
 * over both. The shape of DESIGN.md section 2.
 */
import type OpenAI from 'openai'
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import type { Contender } from '../lib/interleave.js'
import { chat } from './baseline-chat.js'
import { sampleDoc } from './docs.js'

const EXTRACT = 'Extract the main facts as a bulleted list.'
const COMPARE = 'Highlight key similarities and differences.'

export class ExtractAndCompare extends Module<[doc1: string, doc2: string], string> {
  extractor = new LLMInference({ alias: 'fast', system: EXTRACT })
  comparer = new LLMInference({ alias: 'smart', system: COMPARE })

  forward(doc1: string, doc2: string): string {
    const facts1 = this.extractor(doc1)
    const facts2 = this.extractor(doc2)
    return this.comparer(`Compare:\n${facts1}\n\nvs:\n${facts2}`)
  }
}

/** The hand-written equivalent: `Promise.all` for the independent calls, then an await. */
export async function extractAndCompare(client: OpenAI, doc1: string, doc2: string): Promise<string> {
  const [facts1, facts2] = await Promise.all([chat(client, 'fast', EXTRACT, doc1), chat(client, 'fast', EXTRACT, doc2)])
  return chat(client, 'smart', COMPARE, `Compare:\n${facts1}\n\nvs:\n${facts2}`)
}

/** Latency per model at the mock server for this scenario. */
export const s1Latency = { fast: 100, smart: 200 }

/** The scenario's two sides; `moduleClass` is the traced class by default, or its compiled version (bench/lib/compiled.ts). */
export function s1(baseURL: string, client: OpenAI, moduleClass: typeof ExtractAndCompare = ExtractAndCompare): Contender<string> {
  const pipeline = new moduleClass().bind({
    endpoints: {
      fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 20 }),
      smart: openai({ model: 'smart', baseURL, apiKey: 'bench', maxConcurrent: 5 }),
    },
  })
  const [doc1, doc2] = [sampleDoc(0), sampleDoc(1)]
  return { plait: () => pipeline(doc1, doc2), baseline: () => extractAndCompare(client, doc1, doc2) }
}
