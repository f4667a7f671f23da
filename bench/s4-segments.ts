/**
 * S4 over HTTP cut into segments, per step, on both sides: where plait's time goes between the
 * SDK's requests, without the server's latency (which wanders by more than the whole difference).
 *   npx tsx --conditions=plait-source --import ./bench/lib/use-built-package.mjs bench/s4-segments.ts [pairs=60] [profile=none|start|reply]
 * Both sides get the same timing `fetch` (the SDK's `fetch` option) and the SDK's
 * `chat.completions.create` is wrapped, so each request gives: `create()` called → `fetch` called
 * → response headers → `create()` resolved. Segments (medians, µs): `start` (run called → first
 * `create()`: building the graph and the first call's way down), `reply → next request` (a
 * `create()` resolved → the next one called: the way back up and down again), `end` (last
 * `create()` resolved → run resolved), and the SDK's own and the server's parts for comparison.
 * Interleaved pairs with a full GC and 10 ms of quiet before each repetition, as `npm run bench`,
 * after 3 untimed pairs (`S4_WARMUP=400` runs 400: whether plait's code just had too few calls to
 * be optimized; it made no difference).
 * With `profile`, a CPU profile (10 µs sampling) of plait's `start` or `reply → next request`
 * windows, by function, self and inclusive.
 */
import { Session } from 'node:inspector/promises'
import OpenAI from 'openai'
import { Completions } from 'openai/resources/chat/completions'
import { openai } from 'plait/endpoints'
import { fullGc, gcBeforeSamples } from './lib/gc.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { Chain, chain, s4Latency } from './scenarios/s4-chain.js'
import { sampleDoc } from './scenarios/docs.js'

const [pairsText = '60', profileWindow = 'none'] = process.argv.slice(2)
const pairs = Number(pairsText)
if (!['none', 'start', 'reply'].includes(profileWindow)) throw new Error(`Expected the profile window to be none, start or reply, got ${profileWindow}`)

type Mark = 'create' | 'fetch' | 'headers' | 'resolved'
let marks: Array<[Mark, number]> = []
const timedFetch: typeof fetch = async (input, init) => {
  marks.push(['fetch', performance.now()])
  const response = await fetch(input, init)
  marks.push(['headers', performance.now()])
  return response
}
const create = Completions.prototype.create
Completions.prototype.create = function (this: Completions, ...args: unknown[]) {
  marks.push(['create', performance.now()])
  const promise = (create as (...args: unknown[]) => Promise<unknown>).apply(this, args)
  promise.then(
    () => marks.push(['resolved', performance.now()]),
    () => {},
  )
  return promise
} as typeof create

const server = await startMockServerProcess()
const segmentNames = ['start', 'create → fetch (SDK)', 'fetch → headers (server)', 'headers → resolved (SDK)', 'reply → next request', 'end'] as const
type Segment = (typeof segmentNames)[number]
const samples = { plait: new Map<Segment, number[]>(), baseline: new Map<Segment, number[]>() }
const windows: Array<[number, number]> = []
let profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>; startTime: number; samples: number[]; timeDeltas: number[] } | undefined
let clockOffsetUs = 0
try {
  await server.setLatency(process.env['S4_LATENCY_MS'] === undefined ? s4Latency : { fast: Number(process.env['S4_LATENCY_MS']) })
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0, fetch: timedFetch })
  const pipeline = new Chain().bind({ endpoints: { fast: openai({ model: 'fast', baseURL: server.url, apiKey: 'bench', maxConcurrent: 8, fetch: timedFetch }) } })
  const text = sampleDoc(7)
  const sides = { plait: () => pipeline(text), baseline: () => chain(client, text) }
  for (let round = 0; round < Number(process.env['S4_WARMUP'] ?? 3); round++) for (const run of Object.values(sides)) await run()
  const session = new Session()
  session.connect()
  if (profileWindow !== 'none') {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 10 })
    await session.post('Profiler.start')
  }
  for (let pair = 0; pair < pairs; pair++) {
    for (const side of pair % 2 === 0 ? (['plait', 'baseline'] as const) : (['baseline', 'plait'] as const)) {
      if (gcBeforeSamples) fullGc()
      await new Promise((resolve) => setTimeout(resolve, 10))
      marks = []
      const started = performance.now()
      await sides[side]()
      const ended = performance.now()
      const at = (mark: Mark) => marks.filter(([name]) => name === mark).map(([, time]) => time)
      const [creates, fetches, headers, resolved] = [at('create'), at('fetch'), at('headers'), at('resolved')]
      const add = (segment: Segment, value: number) => (samples[side].get(segment) ?? samples[side].set(segment, []).get(segment)!).push(value * 1000)
      add('start', creates[0]! - started)
      add('end', ended - resolved.at(-1)!)
      for (let index = 0; index < creates.length; index++) {
        add('create → fetch (SDK)', fetches[index]! - creates[index]!)
        add('fetch → headers (server)', headers[index]! - fetches[index]!)
        add('headers → resolved (SDK)', resolved[index]! - headers[index]!)
        if (index > 0) add('reply → next request', creates[index]! - resolved[index - 1]!)
        if (side === 'plait' && profileWindow === 'reply' && index > 0) windows.push([resolved[index - 1]!, creates[index]!])
      }
      if (side === 'plait' && profileWindow === 'start') windows.push([started, creates[0]!])
    }
  }
  if (profileWindow !== 'none') {
    profile = (await session.post('Profiler.stop')).profile as typeof profile
    clockOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
  }
  session.disconnect()
} finally {
  await server.close()
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
console.log(`S4 over HTTP in segments: ${pairs} interleaved pairs, medians in µs (start and end once per run of 20 steps)\n`)
console.log(`${'segment'.padEnd(26)}${'plait'.padStart(10)}${'baseline'.padStart(10)}${'added'.padStart(10)}`)
for (const segment of segmentNames) {
  const [ours, theirs] = [median(samples.plait.get(segment)!), median(samples.baseline.get(segment)!)]
  console.log(`${segment.padEnd(26)}${ours.toFixed(1).padStart(10)}${theirs.toFixed(1).padStart(10)}${(ours - theirs).toFixed(1).padStart(10)}`)
}
const added = (segment: Segment) => median(samples.plait.get(segment)!) - median(samples.baseline.get(segment)!)
const perStep = (added('start') + 19 * added('reply → next request') + added('end')) / 20
console.log(`\nplait's own time per step, from these medians: (start + 19 × reply → next request + end) / 20 = ${perStep.toFixed(1)} µs`)

if (profile !== undefined) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const label = ({ functionName, url, lineNumber }: { functionName: string; url: string; lineNumber: number }) => `${functionName || '(anonymous)'} ${url.replace(/.*\//, '')}:${lineNumber + 1}`
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, value: number) => map.set(key, (map.get(key) ?? 0) + value)
  let time = profile.startTime
  let window = 0
  let total = 0
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index]!
    time += delta
    const at = (time - clockOffsetUs) / 1000
    while (window < windows.length && windows[window]![1] < at) window++
    if (window >= windows.length || at < windows[window]![0]) continue
    total += delta
    let id: number | undefined = profile.samples[index]!
    add(self, label(byId.get(id)!.callFrame), delta)
    const seen = new Set<string>()
    for (; id !== undefined; id = parent.get(id)) {
      const name = label(byId.get(id)!.callFrame)
      if (!seen.has(name)) add(inclusive, name, delta)
      seen.add(name)
    }
  }
  for (const [title, map] of [['self', self], ['inclusive', inclusive]] as const) {
    console.log(`\nplait's ${profileWindow} windows, ${title} time, µs per window (of ${(total / windows.length).toFixed(1)}; sampling inflates it)`)
    for (const [name, value] of [...map].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(value / windows.length).toFixed(1).padStart(8)}  ${name}`)
  }
}
