/**
 * Child process: the hand-written baselines in a process where no plait run ever happened, to
 * check that plait taxes nothing process-wide that the side-by-side baseline would then pay too
 * (on Node 20, an active AsyncLocalStorage adds promise hooks to every promise of the process:
 * +18% client CPU on S2's baseline, measured; plait enters one only for an async forward()).
 * argv: <server url> <reps> <scenario>... (s1, s2, s4). Prints one JSON line.
 */
import OpenAI from 'openai'
import { fullGc } from '../lib/gc.js'
import { median } from '../lib/stats.js'
import { sampleDoc } from '../scenarios/docs.js'
import { extractAndCompare } from '../scenarios/s1-extract-compare.js'
import { mapReduce, S2_DOCS } from '../scenarios/s2-map-reduce.js'
import { chain } from '../scenarios/s4-chain.js'

const [url, repsText, ...names] = process.argv.slice(2)
if (!url) throw new Error('usage: baseline-alone.ts <url> <reps> <scenario>...')
const reps = Number(repsText)
const client = new OpenAI({ baseURL: url, apiKey: 'bench', maxRetries: 0 })
const docs = Array.from({ length: S2_DOCS }, (_, index) => sampleDoc(index))
const bodies: Record<string, () => Promise<unknown>> = {
  s1: () => extractAndCompare(client, sampleDoc(0), sampleDoc(1)),
  s2: () => mapReduce(client, docs),
  s4: () => chain(client, sampleDoc(7)),
}

const results: Record<string, { wall: number; cpu: number }> = {}
for (const name of names) {
  const body = bodies[name]
  if (!body) throw new Error(`Unknown scenario ${name}.`)
  for (let round = 0; round < 2; round++) await body()
  const wall: number[] = []
  const cpu: number[] = []
  for (let round = 0; round < reps; round++) {
    fullGc()
    const usage = process.cpuUsage()
    const started = performance.now()
    await body()
    wall.push(performance.now() - started)
    const used = process.cpuUsage(usage)
    cpu.push((used.user + used.system) / 1000)
  }
  results[name] = { wall: median(wall), cpu: median(cpu) }
}
process.stdout.write(JSON.stringify(results) + '\n')
