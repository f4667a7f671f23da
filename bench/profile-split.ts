/**
 * A CPU profile of S4 over HTTP as the benchmark runs it (interleaved repetitions, a full GC
 * before each), with every sample given to the side whose repetition it fell in: what plait's
 * client spends per step beyond the SDK's, by category and by function.
 *   npx tsx --conditions=plait-source bench/profile-split.ts [pairs=100] [top=30] [scenario=s4|s2]
 * (S2: per call, 51 calls a run; S4: per step, 20 steps a run).
 * Samples every 50 µs from the first timed repetition to the last; the mock server runs in its own
 * process. Categories: plait (runtime/, src/), openai (the SDK), undici (Node's fetch), node
 * (other Node internals), native and V8's own ((idle), (garbage collector), (program)).
 */
import { Session } from 'node:inspector/promises'
import OpenAI from 'openai'
import { fullGc } from './lib/gc.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { s2, s2Latency } from './scenarios/s2-map-reduce.js'
import { S4_STEPS, s4, s4Latency } from './scenarios/s4-chain.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}
type Side = 'plait' | 'baseline'

const [pairsText = '100', topText = '30', scenario = 's4'] = process.argv.slice(2)
if (scenario !== 's4' && scenario !== 's2') throw new Error(`Expected the scenario to be s4 or s2, got ${scenario}`)
/** Calls (S2) or steps (S4) per run: what the figures are divided by. */
const unitsPerRun = scenario === 's2' ? 51 : S4_STEPS
const pairs = Number(pairsText)
const top = Number(topText)

const server = await startMockServerProcess()
const windows: Array<{ side: Side; start: number; end: number }> = []
let profile: Profile
let clockOffsetUs: number
try {
  await server.setLatency(scenario === 's2' ? s2Latency : s4Latency)
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
  const contender: { plait: () => Promise<unknown>; baseline: () => Promise<unknown> } = scenario === 's2' ? s2(server.url, client) : s4(server.url, client)
  for (let round = 0; round < 2; round++) for (const side of ['plait', 'baseline'] as const) await contender[side]()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 50 })
  await session.post('Profiler.start')
  for (let pair = 0; pair < pairs; pair++) {
    for (const side of ['plait', 'baseline'] as const) {
      fullGc()
      const start = performance.now()
      await contender[side]()
      windows.push({ side, start, end: performance.now() })
    }
  }
  profile = (await session.post('Profiler.stop')).profile as Profile
  // Profile times are µs on the monotonic clock, as process.hrtime; performance.now() is ms from the process's origin.
  clockOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
  session.disconnect()
} finally {
  await server.close()
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const categoryOf = ({ url, functionName }: ProfileNode['callFrame']): string => {
  if (url.includes('/runtime/') || url.includes('/src/') || url.includes('/build-package/')) return 'plait'
  if (url.includes('node_modules/openai')) return 'openai'
  if (url.includes('undici')) return 'undici'
  if (url.startsWith('node:')) return 'node'
  if (url === '') return functionName.startsWith('(') ? functionName : 'native'
  return 'other'
}
const nameOf = ({ url, functionName }: ProfileNode['callFrame']) =>
  `${functionName || '(anonymous)'} ${url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/[^/]+|src|runtime|build-package|bench)\//, '$1/')}`

const totals = { plait: new Map<string, number>(), baseline: new Map<string, number>() }
const functions = { plait: new Map<string, number>(), baseline: new Map<string, number>() }
const add = (map: Map<string, number>, key: string, value: number) => map.set(key, (map.get(key) ?? 0) + value)
let time = profile.startTime
let window = 0
for (let index = 0; index < profile.samples.length; index++) {
  const delta = profile.timeDeltas[index]!
  time += delta
  const at = (time - clockOffsetUs) / 1000
  while (window < windows.length && windows[window]!.end < at) window++
  const current = windows[window]
  if (current === undefined || at < current.start) continue
  const frame = byId.get(profile.samples[index]!)!.callFrame
  add(totals[current.side], categoryOf(frame), delta)
  add(functions[current.side], nameOf(frame), delta)
}

const steps = pairs * unitsPerRun
const perStep = (value: number | undefined) => ((value ?? 0) / steps).toFixed(1).padStart(8)
const wall = (side: Side) => windows.filter((each) => each.side === side).reduce((sum, each) => sum + (each.end - each.start) * 1000, 0)
const busy = (side: Side) => [...totals[side]].filter(([category]) => category !== '(idle)').reduce((sum, [, value]) => sum + value, 0)
console.log(`${scenario.toUpperCase()} over HTTP, ${pairs} interleaved pairs, per ${scenario === 's2' ? 'call' : 'step'} (µs): wall plait ${perStep(wall('plait'))}, baseline ${perStep(wall('baseline'))}; main thread busy plait ${perStep(busy('plait'))}, baseline ${perStep(busy('baseline'))}`)
const table = (title: string, maps: typeof totals, rows: number) => {
  console.log(`\n${title}\n   plait baseline    added`)
  const keys = [...new Set([...maps.plait.keys(), ...maps.baseline.keys()])]
  const added = (key: string) => (maps.plait.get(key) ?? 0) - (maps.baseline.get(key) ?? 0)
  for (const key of keys.sort((a, b) => added(b) - added(a)).slice(0, rows)) {
    console.log(`${perStep(maps.plait.get(key))}${perStep(maps.baseline.get(key))}${perStep(added(key))}  ${key}`)
  }
}
table('By category, µs per step', totals, Infinity)
table(`Functions (self time) by what plait adds, µs per step, top ${top}`, functions, top)
