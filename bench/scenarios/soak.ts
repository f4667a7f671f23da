/**
 * Soak throughput: the shape of test/limits/soak.test.ts over real HTTP, timed. 1,000 batch items
 * (one call each) through one `openai()` endpoint with an rpm limit, against the mock server
 * injecting 20% 429 (with retry-after-ms), 5% 500 and 2% hangs (cut by `timeoutMs`).
 */
import { LLMInference, Module } from 'plait'
import { openai } from 'plait/endpoints'
import type { NodeRecord } from '../../runtime/run.js'
import type { MockFaults } from '../../test/support/openai-server.js'

export const soakShape = {
  items: 1_000,
  rpm: 7_200,
  maxConcurrent: 16,
  burst: 10,
  timeoutMs: 750,
  retries: { attempts: 12, baseMs: 10, maxMs: 200 },
  batchConcurrency: 100,
  latencyMs: 2,
}
export const soakFaults: MockFaults = { rate429: 0.2, retryAfterMs: 30, rate500: 0.05, rateHang: 0.02, seed: 42 }

class Ask extends Module<[string], string> {
  ask = new LLMInference({ alias: 'main', system: 'Answer briefly.' })
  forward(question: string): string {
    return this.ask(question)
  }
}

/** What the client saw of one soak run. */
export interface SoakClientResult {
  wallMs: number
  cpuMs: number
  failed: number
  /** Items whose reply does not carry their own `id:N:` tag. */
  mismatched: number
  /** Attempts over every call (from each node's details), and retries by what was retried. */
  attempts: number
  retriesBy: Record<string, number>
  /** The endpoint's effective rpm over the configured one, sampled every 100 ms. */
  rateFactorMean: number
  rateFactorMin: number
}

export function soakPipeline(baseURL: string) {
  const endpoint = openai({
    baseURL,
    apiKey: 'bench',
    model: 'soak',
    maxConcurrent: soakShape.maxConcurrent,
    rpm: soakShape.rpm,
    burst: soakShape.burst,
    timeoutMs: soakShape.timeoutMs,
    retries: soakShape.retries,
  })
  const pipeline = new Ask().bind({ endpoints: { main: endpoint } })
  return {
    warmUp: () => pipeline('warm-up'),
    run: async (): Promise<SoakClientResult> => {
      let attempts = 0
      const retriesBy: Record<string, number> = {}
      const onNode = (record: NodeRecord) => {
        const details = record.details as { attempts?: number; events?: Array<{ type: string; status?: number; message?: string }> } | undefined
        attempts += details?.attempts ?? 0
        for (const event of details?.events ?? []) {
          if (event.type !== 'retry') continue
          const why = event.status !== undefined ? String(event.status) : /timed? ?out|timeout/i.test(event.message ?? '') ? 'timeout' : 'other'
          retriesBy[why] = (retriesBy[why] ?? 0) + 1
        }
      }
      const factors: number[] = []
      const sampler = setInterval(() => factors.push(endpoint.effectiveLimits.rpm! / soakShape.rpm), 100)
      const inputs = Array.from({ length: soakShape.items }, (_, index): [string] => [`question id:${index}:`])
      const cpu = process.cpuUsage()
      const started = performance.now()
      const items = await pipeline.batch(inputs, { concurrency: soakShape.batchConcurrency, onNode, progressBar: false })
      const wallMs = performance.now() - started
      const used = process.cpuUsage(cpu)
      clearInterval(sampler)
      return {
        wallMs,
        cpuMs: (used.user + used.system) / 1000,
        failed: items.filter((item) => !item.ok).length,
        mismatched: items.filter((item) => item.ok && !item.value.includes(`id:${item.index}:`)).length,
        attempts,
        retriesBy,
        rateFactorMean: factors.reduce((sum, value) => sum + value, 0) / Math.max(1, factors.length),
        rateFactorMin: factors.length === 0 ? 1 : Math.min(...factors),
      }
    },
  }
}
