/**
 * Child process (run with --expose-gc): heap retained by S1 runs after they finish.
 * argv: <server url> <plait|baseline> <runs>. Prints one JSON line.
 */
import OpenAI from 'openai'
import { fullGc } from '../lib/gc.js'
import { s1 } from '../scenarios/s1-extract-compare.js'

const [url, mode, runsText] = process.argv.slice(2)
if (!url || (mode !== 'plait' && mode !== 'baseline')) throw new Error('usage: heap.ts <url> <plait|baseline> <runs>')
const runs = Number(runsText ?? 50)
const contender = s1(url, new OpenAI({ baseURL: url, apiKey: 'bench', maxRetries: 0 }))
const run = mode === 'plait' ? contender.plait : contender.baseline

/** Collects until nothing more is freed by finalizers and timers of the last runs. */
async function settledHeap(): Promise<number> {
  for (let round = 0; round < 3; round++) {
    fullGc()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  fullGc()
  return process.memoryUsage().heapUsed
}

// Warm-up: loads the SDK, opens sockets, compiles the hot paths.
for (let index = 0; index < 10; index++) await run()
const before = await settledHeap()
const half = Math.floor(runs / 2)
for (let index = 0; index < half; index++) await run()
const middle = await settledHeap()
for (let index = half; index < runs; index++) await run()
const after = await settledHeap()
process.stdout.write(JSON.stringify({ mode, runs, before, middle, after }) + '\n')
