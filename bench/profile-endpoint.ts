/**
 * A micro-experiment for S4's per-call cost over HTTP: sequential chat completions against the mock
 * server (its own process, 0 ms latency), in interleaved blocks, each side on its own path:
 *   npx tsx --conditions=plait-source bench/profile-endpoint.ts [calls per block] [blocks] [sides...]
 * Sides: `sdk` (client.chat.completions.create, the baseline's call), `complete` (the openai()
 * endpoint's `complete()`), `send` (its `send()`: limiter included), `backend` (the in-process
 * backend: retries, ledger events). Prints the median wall and client CPU per call of each side.
 */
import OpenAI from 'openai'
import { openai, simulated } from 'plait/endpoints'
import { inProcessBackend } from '../runtime/backend.js'
import type { Backend } from '../runtime/backend.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { Chain, S4_STEPS, chain, systemOf } from './scenarios/s4-chain.js'
import { sampleDoc } from './scenarios/docs.js'
import { chat } from './scenarios/baseline-chat.js'

const [perBlockText = '400', blocksText = '15', ...sideNames] = process.argv.slice(2)
const perBlock = Number(perBlockText)
const blocks = Number(blocksText)

const server = await startMockServerProcess()
const latency = Number(process.env['LATENCY_MS'] ?? '0')
await server.setLatency({ fast: latency })
const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
const endpoint = openai({ model: 'fast', baseURL: server.url, apiKey: 'bench', maxConcurrent: 8 })
const text = sampleDoc(7)
const signal = new AbortController().signal
const pipeline = new Chain().bind({ endpoints: { fast: endpoint } })
const backend = inProcessBackend({ fast: endpoint })
const description = endpoint.describe()
const rawBackend: Backend = { complete: (_alias, request, options) => endpoint.send(request, { signal: options.signal }).then((result) => ({ ...result, endpoint: description, queuedMs: 0 })) }
const rawPipeline = new Chain().bind({ endpoints: { fast: endpoint }, backend: rawBackend })
const simulatedEndpoint = simulated({ latencyMs: 0 })
const simulatedPipeline = new Chain().bind({ endpoints: { fast: simulatedEndpoint } })

const request = (step: number) => ({ messages: [{ role: 'system' as const, content: systemOf(step) }, { role: 'user' as const, content: text }] })
const simulatedRequest = request(0)

const sides: Record<string, (step: number) => Promise<unknown>> = {
  sdk: (step) => chat(client, 'fast', systemOf(step), text),
  complete: (step) => endpoint.complete(request(step), { signal }),
  send: (step) => endpoint.send(request(step), { signal }),
  backend: (step) => backend.complete('fast', request(step), { signal }),
  simulated: (step) => simulatedEndpoint.complete(simulatedRequest, { signal }),
  'sim-pipeline': (step) => (step === 0 ? simulatedPipeline(text) : Promise.resolve()),
  'raw-pipeline': (step) => (step === 0 ? rawPipeline(text) : Promise.resolve()),
  // A whole S4 chain per S4_STEPS calls (the block's other calls do nothing).
  chain: (step) => (step === 0 ? chain(client, text) : Promise.resolve()),
  pipeline: (step) => (step === 0 ? pipeline(text) : Promise.resolve()),
}
const chosen = sideNames.length > 0 ? sideNames : Object.keys(sides)
const results: Record<string, { wall: number[]; cpu: number[] }> = {}
for (const name of chosen) results[name] = { wall: [], cpu: [] }

async function block(name: string): Promise<void> {
  const call = sides[name]!
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let index = 0; index < perBlock; index++) await call(index % 20)
  const wall = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  results[name]!.wall.push((wall * 1000) / perBlock)
  results[name]!.cpu.push((cpu.user + cpu.system) / perBlock)
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
try {
  for (let round = 0; round < 2; round++) for (const name of chosen) await block(name)
  for (const name of chosen) results[name] = { wall: [], cpu: [] }
  for (let round = 0; round < blocks; round++) for (const name of chosen) await block(name)
  const reference = chosen[0]!
  const quartiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b)
    const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!
    return `${at(0.5).toFixed(1).padStart(7)} [${at(0.25).toFixed(1)}, ${at(0.75).toFixed(1)}]`
  }
  for (const name of chosen) {
    const { wall, cpu } = results[name]!
    const base = results[reference]!
    const line = `${name.padEnd(13)} wall ${median(wall).toFixed(1).padStart(7)} cpu ${median(cpu).toFixed(1).padStart(7)} µs/call`
    const paired = name === reference ? '' : `   − ${reference}: wall ${quartiles(wall.map((value, index) => value - base.wall[index]!))} cpu ${quartiles(cpu.map((value, index) => value - base.cpu[index]!))}`
    console.log(line + paired)
  }
} finally {
  await server.close()
}
