/**
 * Runs one scenario's plait (or baseline) side in a loop, for a CPU profile:
 *   npx tsx --conditions=plait-source --cpu-prof --cpu-prof-dir=bench/results/profiles bench/profile.ts synthetic-chains 5 [plait|baseline]
 * then `npx tsx bench/profile-summary.ts bench/results/profiles/CPU.*.0.001.cpuprofile` (tsx's
 * loader thread writes a second profile, `*.1.002.cpuprofile`; the main thread's is `*.0.001`).
 * Scenarios: s1, s2, s4 (against the mock server in a child process), synthetic-chains,
 * synthetic-renders, and s3-start: starting S3's batch of 200 items on simulated() endpoints with
 * S3's caps (aborted once started), printing how long the start held the event loop.
 */
import OpenAI from 'openai'
import { startMockServerProcess } from './lib/mock-server.js'
import { s1, s1Latency } from './scenarios/s1-extract-compare.js'
import { simulated } from 'plait/endpoints'
import { ExtractAndCompare } from './scenarios/s1-extract-compare.js'
import { s2, s2Latency } from './scenarios/s2-map-reduce.js'
import { S3_ITEMS, s3Caps, s3Inputs } from './scenarios/s3-capped-batch.js'
import { s4, s4Latency } from './scenarios/s4-chain.js'
import { shapes, synthetic } from './scenarios/synthetic.js'

const [name = 'synthetic-chains', timesText = '5', side = 'plait'] = process.argv.slice(2)
const times = Number(timesText)

async function loop(body: () => Promise<unknown>): Promise<void> {
  for (let index = 0; index < times; index++) {
    const started = performance.now()
    await body()
    process.stderr.write(`${name} ${side} #${index + 1}: ${(performance.now() - started).toFixed(1)} ms\n`)
  }
}

if (name === 's3-start') {
  const pipeline = new ExtractAndCompare().bind({
    endpoints: { fast: simulated({ latencyMs: 60_000, maxConcurrent: s3Caps.fast }), smart: simulated({ latencyMs: 60_000, maxConcurrent: s3Caps.smart }) },
  })
  const inputs = s3Inputs(S3_ITEMS)
  for (let index = 0; index < times; index++) {
    const controller = new AbortController()
    const started = performance.now()
    let blocked = 0
    setImmediate(() => (blocked = performance.now() - started))
    const done = pipeline.batch(inputs, { signal: controller.signal, progressBar: false })
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    controller.abort()
    await done
    process.stderr.write(`s3-start #${index + 1}: the start of ${S3_ITEMS} items held the event loop ${blocked.toFixed(1)} ms\n`)
  }
} else if (name.startsWith('synthetic-')) {
  const shape = shapes.find((each) => `synthetic-${each.name}` === name)
  if (!shape) throw new Error(`No synthetic shape ${name}; have ${shapes.map((each) => `synthetic-${each.name}`).join(', ')}.`)
  const contender = synthetic(shape)
  await loop(side === 'baseline' ? contender.baseline : contender.plait)
} else {
  const scenarios = { s1: [s1, s1Latency], s2: [s2, s2Latency], s4: [s4, s4Latency] } as const
  const entry = scenarios[name as keyof typeof scenarios]
  if (!entry) throw new Error(`No scenario ${name}; have s1, s2, s4, s3-start, synthetic-chains, synthetic-renders.`)
  const server = await startMockServerProcess()
  try {
    await server.setLatency(entry[1])
    const contender = entry[0](server.url, new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 }))
    await loop(side === 'baseline' ? contender.baseline : contender.plait)
  } finally {
    await server.close()
  }
}
