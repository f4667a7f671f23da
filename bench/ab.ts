/**
 * Two builds of plait side by side in one process, on S4 over HTTP as client time: for changes of
 * a few µs per step, which separate runs of `npm run bench` or `s4-segments.ts` cannot resolve
 * (the machine's state moves them by ±10 µs per step between runs).
 *
 *   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   node /tmp/before/scripts/build.mjs /tmp/before/bench/results/ab-build --js-only
 *   node scripts/build.mjs bench/results/ab-build --js-only
 *   npx tsx bench/ab.ts /tmp/before/bench/results/ab-build bench/results/ab-build [reps=100]
 * (each build inside a checkout, so that its imports find node_modules).
 *
 * Each repetition runs the 20-step chain once with each build and once with the SDK baseline, in
 * every order in turn, each after a full GC (as `npm run bench`: `time()` of lib/interleave.ts), all with the same timing `fetch`; a side's client time is
 * its wall time minus its time inside `fetch` (see `s4Timed` in scenarios/s4-chain.ts). Reports
 * medians per step and the medians of the paired differences.
 */
import OpenAI from 'openai'
import { chainOnBuild } from './lib/build-chain.js'
import { time } from './lib/interleave.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { median } from './lib/stats.js'
import { sampleDoc } from './scenarios/docs.js'
import { chain, S4_STEPS, s4Latency, timingFetch } from './scenarios/s4-baseline.js'

const [dirA, dirB, repsText = '100'] = process.argv.slice(2)
if (dirA === undefined || dirB === undefined) throw new Error('Expected two build directories: npx tsx bench/ab.ts <dirA> <dirB> [reps]')
const reps = Number(repsText)

let inFetch = 0
const timedFetch = timingFetch((ms) => (inFetch += ms))

/** The `openai()` endpoint of a build, at the mock server, through the timing `fetch`. */
const endpointAt =
  (baseURL: string) =>
  ({ openai }: typeof import('plait/endpoints')) =>
    openai({ model: 'fast', baseURL, apiKey: 'bench', maxConcurrent: 8, fetch: timedFetch })

const server = await startMockServerProcess()
try {
  await server.setLatency(s4Latency)
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0, fetch: timedFetch })
  const sides = {
    a: await chainOnBuild(dirA, endpointAt(server.url)),
    b: await chainOnBuild(dirB, endpointAt(server.url)),
    baseline: (text: string) => chain(client, text),
  }
  type Side = keyof typeof sides
  const text = sampleDoc(7)
  const outputs = new Set<string>()
  for (let round = 0; round < 3; round++) for (const run of Object.values(sides)) outputs.add(await run(text))
  if (outputs.size !== 1) throw new Error('The three sides gave different outputs.')
  const clientTime: Record<Side, number[]> = { a: [], b: [], baseline: [] }
  // Every order of the three in turn, so that each side runs right after each other side equally
  // often (with the three rotations alone, B ran right after A in two repetitions of three).
  const orders: Side[][] = [
    ['a', 'b', 'baseline'],
    ['b', 'baseline', 'a'],
    ['baseline', 'a', 'b'],
    ['b', 'a', 'baseline'],
    ['a', 'baseline', 'b'],
    ['baseline', 'b', 'a'],
  ]
  for (let rep = 0; rep < reps; rep++) {
    for (const side of orders[rep % orders.length]!) {
      inFetch = 0
      const { wall } = await time(() => sides[side](text))
      clientTime[side].push(((wall - inFetch) * 1000) / S4_STEPS)
    }
  }
  const paired = (x: Side, y: Side) => median(clientTime[x].map((value, index) => value - clientTime[y][index]!))
  const row = (label: string, value: number) => console.log(`${label.padEnd(44)}${value.toFixed(1).padStart(8)} µs/step`)
  console.log(`S4 client time, ${reps} repetitions of each side, every order of the three in turn\n  A: ${dirA}\n  B: ${dirB}\n`)
  row('A, median', median(clientTime.a))
  row('B, median', median(clientTime.b))
  row('baseline, median', median(clientTime.baseline))
  row('A − baseline (median of paired differences)', paired('a', 'baseline'))
  row('B − baseline (median of paired differences)', paired('b', 'baseline'))
  row('B − A (median of paired differences)', paired('b', 'a'))
} finally {
  await server.close()
}
