/**
 * S4 in process through the real `openai` SDK: both sides' clients get a `fetch` (the SDK's
 * `fetch` option) that answers one turn of the event loop later with a canned completion, after
 * walking `MB` megabytes of memory, so there is no socket and no server. Beside them, the same
 * chain on `simulated({ latencyMs: 0 })` against its `complete()` awaited directly. Each
 * repetition runs the four sides in a random order, a full GC before each. It isolates the
 * `openai()` path (plait's work between the SDK's) from the network, though on the bench machine
 * it still moves between runs (plait through `openai()`: +53.8 to +114.2 µs per step over six runs
 * of 150–200 repetitions, most within +54..+66).
 *   npx tsx --import ./bench/lib/use-built-package.mjs bench/sdk-sim.ts [--reps=200] [--mb=0]
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import OpenAI from 'openai'
import { openai, simulated } from 'plait/endpoints'
import { fullGc } from './lib/gc.js'
import { median } from './lib/stats.js'
import { sampleDoc } from './scenarios/docs.js'
import { S4_STEPS } from './scenarios/s4-baseline.js'
import { Chain, chain } from './scenarios/s4-chain.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) => Number(args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const reps = option('reps', 200)
const memory = new Float64Array((option('mb', 0) * 1024 * 1024) / 8)
/** Reads and writes one value per 64-byte line of `memory`. */
const pollute = () => {
  for (let index = 0; index < memory.length; index += 8) memory[index]!++
}

const reply = (content: string) => `ok ${content.length}`
/** A `fetch` that answers every chat completion one turn later, without a socket. */
const cannedFetch: typeof fetch = async (_input, init) => {
  const { messages } = JSON.parse(String(init?.body)) as { messages: Array<{ content: string }> }
  await nextTurn()
  pollute()
  const completion = { id: 'chatcmpl-sim', object: 'chat.completion', created: 0, model: 'fast', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply(messages.at(-1)!.content) } }], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } }
  return new Response(JSON.stringify(completion), { status: 200, headers: { 'content-type': 'application/json' } })
}

const baseURL = 'http://127.0.0.1:9/v1'
const client = new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0, fetch: cannedFetch })
const throughSdk = new Chain().bind({ endpoints: { fast: openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 8, fetch: cannedFetch }) } })
const endpoint = simulated({ latencyMs: 0, reply: (request) => reply(request.messages.at(-1)!.content) })
const throughSimulated = new Chain().bind({ endpoints: { fast: endpoint } })
const simulatedBaseline = async (text: string): Promise<string> => {
  let value = text
  const signal = new AbortController().signal
  for (let step = 0; step < S4_STEPS; step++) value = (await endpoint.complete({ messages: [{ role: 'user', content: value }] }, { signal })).text
  return value
}

const text = sampleDoc(7)
const sides: Record<string, () => Promise<unknown>> = {
  'SDK baseline': () => chain(client, text),
  'plait, openai()': () => throughSdk(text),
  'simulated() baseline': () => simulatedBaseline(text),
  'plait, simulated()': () => throughSimulated(text),
}
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((name) => [name, []]))
for (let round = 0; round < 3; round++) for (const side of Object.values(sides)) await side()
for (let rep = 0; rep < reps; rep++) {
  for (const name of Object.keys(sides).sort(() => Math.random() - 0.5)) {
    fullGc()
    const started = performance.now()
    await sides[name]!()
    samples[name]!.push(((performance.now() - started) * 1000) / S4_STEPS)
  }
}
const perStep = (name: string) => median(samples[name]!)
for (const name of Object.keys(sides)) console.log(`${name.padEnd(22)}${perStep(name).toFixed(1).padStart(8)} µs per step`)
console.log(`plait through openai() adds ${(perStep('plait, openai()') - perStep('SDK baseline')).toFixed(1)} µs per step; through simulated() ${(perStep('plait, simulated()') - perStep('simulated() baseline')).toFixed(1)}`)
