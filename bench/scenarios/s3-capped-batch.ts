/**
 * S3, a capped batch: 200 inputs of S1's extract-and-compare in ONE `pipeline.batch(inputs)`
 * (no batch concurrency cap) against `fast` capped at 20 requests in flight and `smart` at 5;
 * the hand-written baseline is two `p-limit` limiters with the same caps around the `openai` SDK.
 */
import type OpenAI from 'openai'
import pLimit from 'p-limit'
import { openai } from 'plait/endpoints'
import { chat } from './baseline-chat.js'
import { sampleDoc } from './docs.js'
import { ExtractAndCompare } from './s1-extract-compare.js'

const EXTRACT = 'Extract the main facts as a bulleted list.'
const COMPARE = 'Highlight key similarities and differences.'

export const S3_ITEMS = 200
export const s3Caps = { fast: 20, smart: 5 }
export const s3Latency = { fast: 100, smart: 200 }

/** Item `index`: two different documents. */
export function s3Inputs(items: number): Array<[string, string]> {
  return Array.from({ length: items }, (_, index): [string, string] => [sampleDoc(2 * index), sampleDoc(2 * index + 1)])
}

/** plait: one batch over every input; the outputs in input order (a failed item throws). */
export function s3Plait(baseURL: string): (inputs: Array<[string, string]>) => Promise<string[]> {
  const pipeline = new ExtractAndCompare().bind({
    endpoints: {
      fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: s3Caps.fast }),
      smart: openai({ model: 'smart', baseURL, apiKey: 'bench', maxConcurrent: s3Caps.smart }),
    },
  })
  return async (inputs) => {
    const items = await pipeline.batch(inputs)
    return items.map((item) => {
      if (!item.ok) throw new Error(`S3: plait item ${item.index} failed: ${String(item.error)}`)
      return item.value
    })
  }
}

/**
 * The hand-written equivalent: one `p-limit` limiter per model with the same caps; per item,
 * `Promise.all` of two limited extractions, then a limited comparison; every item at once.
 */
export function s3Baseline(client: OpenAI): (inputs: Array<[string, string]>) => Promise<string[]> {
  const fast = pLimit(s3Caps.fast)
  const smart = pLimit(s3Caps.smart)
  const item = async (doc1: string, doc2: string) => {
    const [facts1, facts2] = await Promise.all([fast(() => chat(client, 'fast', EXTRACT, doc1)), fast(() => chat(client, 'fast', EXTRACT, doc2))])
    return smart(() => chat(client, 'smart', COMPARE, `Compare:\n${facts1}\n\nvs:\n${facts2}`))
  }
  return (inputs) => Promise.all(inputs.map(([doc1, doc2]) => item(doc1, doc2)))
}
