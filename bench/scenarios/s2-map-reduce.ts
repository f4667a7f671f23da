/**
 * S2, map-reduce: 50 documents extracted on `fast` (all at once), then one reduce call on
 * `smart` over every extraction. forward() loops over the input array and joins the results in
 * a template literal, as a user would write it.
 */
import type OpenAI from 'openai'
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import type { Contender } from '../lib/interleave.js'
import { chat } from './baseline-chat.js'
import { sampleDoc } from './docs.js'

const EXTRACT = 'Extract the main facts as a bulleted list.'
const REDUCE = 'Summarize what these documents say, in one paragraph.'
export const S2_DOCS = 50

export class MapReduce extends Module<[docs: string[]], string> {
  extractor = new LLMInference({ alias: 'fast', system: EXTRACT })
  reducer = new LLMInference({ alias: 'smart', system: REDUCE })

  forward(docs: string[]): string {
    const sections: string[] = []
    for (const [index, doc] of docs.entries()) sections.push(`## Document ${index + 1}\n${this.extractor(doc)}`)
    return this.reducer(`Documents:\n\n${sections.join('\n\n')}`)
  }
}

/** The hand-written equivalent: `Promise.all` over the documents, then the reduce call. */
export async function mapReduce(client: OpenAI, docs: string[]): Promise<string> {
  const facts = await Promise.all(docs.map((doc) => chat(client, 'fast', EXTRACT, doc)))
  const sections = facts.map((text, index) => `## Document ${index + 1}\n${text}`)
  return chat(client, 'smart', REDUCE, `Documents:\n\n${sections.join('\n\n')}`)
}

export const s2Latency = { fast: 100, smart: 200 }

/** The scenario's two sides; `moduleClass` is the traced class by default, or its compiled version (bench/lib/compiled.ts). */
export function s2(baseURL: string, client: OpenAI, moduleClass: typeof MapReduce = MapReduce): Contender<string> {
  const pipeline = new moduleClass().bind({
    endpoints: {
      // Room for every extraction at once, as the baseline has.
      fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 64 }),
      smart: openai({ model: 'smart', baseURL, apiKey: 'bench', maxConcurrent: 5 }),
    },
  })
  const docs = Array.from({ length: S2_DOCS }, (_, index) => sampleDoc(index))
  return { plait: () => pipeline(docs), baseline: () => mapReduce(client, docs) }
}
