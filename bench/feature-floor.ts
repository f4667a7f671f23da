/**
 * The floor of S4 over HTTP for a runtime with the features issue 2 asks of plait, added one at a
 * time: what a rebuilt runtime core could reach at best, next to what plait costs now. Every side
 * is a small runtime written here for the purpose (no plait code), run against the SDK baseline
 * as client time (wall minus time inside `fetch`), all sides in one process, in a new random order
 * each repetition, with a full GC before each run (`BENCH_NO_GC=1` leaves it out).
 *   npx tsx --import ./bench/lib/use-built-package.mjs bench/feature-floor.ts [--reps=60] [<dir> ...]
 * Each `<dir>` is a further side: the chain on a build of plait in that folder (build it inside a
 * checkout with `node scripts/build.mjs bench/results/<name> --js-only`, as for ab-sim.ts), to
 * judge a change to the runtime against the floor, against plait as it is, and against the first
 * build given (the column `− first build`; this replaced `ab.ts`). Over HTTP a comparison moves by
 * tens of µs per step between runs (an A/A pair of builds once read −50.7): `ab-sim.ts` resolves
 * smaller changes.
 * Sides (the traced ones each with everything of the one before):
 * - `lean`: the graph built up front, one `then` per request;
 * - `lean, signal per request`: the same, with the run's `AbortSignal` passed to each request, as a
 *   runtime that can abort must (the SDK adds a listener to it per request); the sides below pass
 *   a stand-in instead;
 * - `traced`: a sync `forward()` calls 20 callable modules; each call makes a node (id from its
 *   module path, numbered per run) and returns a future (a `Proxy` over a function, as a tracer
 *   needs to see property access); module paths are walked per run; the output is found in what
 *   `forward()` returned;
 * - `+ call sites`: each module call captures its caller's frame (`Error.captureStackTrace`, one
 *   frame, as plait does), so that a node's error can name the line of `forward()`;
 * - `+ limits, abort`: each request passes a per-endpoint `maxConcurrent` limiter (count and
 *   queue) and gets a per-request stand-in signal that follows the run's `AbortController` (as
 *   plait's `RequestSignal`); a failed request aborts the run;
 * - `+ ledger`: each reply adds an entry (run, alias, model, tokens) to a list;
 * - `+ the rest of plait`: the checks and bookkeeping of what plait must also keep though S4 uses
 *   none of it (priorities and a ready queue drained after `forward()`, the run context, failure
 *   scopes, records, observers, placeholders, ids that cannot collide, a request object per call,
 *   rate limits, timeouts, memo, budgets, prices, events, the output's shape; see `Features.rest`);
 * - `plait`: the S4 chain on plait as built for publishing, for comparison in the same process.
 */
import { setMaxListeners } from 'node:events'
import { basename } from 'node:path'
import OpenAI from 'openai'
import { openai } from 'plait/endpoints'
import { chainOnBuild } from './lib/build-chain.js'
import { time } from './lib/interleave.js'
import { leanChain, tracedChain, type Send } from './lib/mini-runtime.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { median } from './lib/stats.js'
import { sampleDoc } from './scenarios/docs.js'
import { chain, S4_STEPS, s4Latency, timingFetch } from './scenarios/s4-baseline.js'
import { Chain } from './scenarios/s4-chain.js'

const args = process.argv.slice(2)
const reps = Number(args.find((arg) => arg.startsWith('--reps='))?.slice('--reps='.length) ?? 60)
const dirs = args.filter((arg) => !arg.startsWith('--'))
let inFetch = 0
const timedFetch = timingFetch((ms) => (inFetch += ms))

const server = await startMockServerProcess()
try {
  await server.setLatency(s4Latency)
  // A client per side, as plait's endpoint has its own: a client shared by most sides stays warm
  // from their runs and would flatter them against plait (measured: +73.2 µs per step for plait
  // against +14.1 to +38.1 for the small runtimes with one shared client, 2026-12-02 06:40 UTC).
  const newClient = () => new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0, fetch: timedFetch })
  const newSend = (): Send => {
    const client = newClient()
    return (body, options) => client.chat.completions.create(body, options)
  }
  const baselineClient = newClient()
  const leanSend = newSend()
  const leanSignalSend = newSend()
  const sides: Record<string, (text: string) => Promise<string>> = {
    baseline: (text) => chain(baselineClient, text),
    lean: (text) => leanChain(leanSend, text),
    'lean, signal per request': (text) => {
      // Any number of listeners, as plait's runs allow: the SDK adds one per request and never removes it.
      const controller = new AbortController()
      setMaxListeners(0, controller.signal)
      return leanChain(leanSignalSend, text, controller.signal)
    },
    traced: tracedChain(newSend(), { sites: false, limits: false, ledger: false }),
    '+ call sites': tracedChain(newSend(), { sites: true, limits: false, ledger: false }),
    '+ limits, abort': tracedChain(newSend(), { sites: true, limits: true, ledger: false }),
    '+ ledger': tracedChain(newSend(), { sites: true, limits: true, ledger: true }),
    '+ the rest of plait': tracedChain(newSend(), { sites: true, limits: true, ledger: true, rest: true }),
    plait: ((pipeline) => (text: string) => pipeline(text))(new Chain().bind({ endpoints: { fast: openai({ model: 'fast', baseURL: server.url, apiKey: 'bench', maxConcurrent: 8, fetch: timedFetch }) } })),
  }
  for (const dir of dirs) sides[`build ${basename(dir)}`] = await chainOnBuild(dir, (endpoints) => endpoints.openai({ model: 'fast', baseURL: server.url, apiKey: 'bench', maxConcurrent: 8, fetch: timedFetch }))
  const text = sampleDoc(7)
  const expected = await sides['baseline']!(text)
  for (const [name, side] of Object.entries(sides)) if ((await side(text)) !== expected) throw new Error(`${name} and the baseline gave different outputs.`)
  for (let round = 0; round < 3; round++) for (const side of Object.values(sides)) await side(text)
  const names = Object.keys(sides)
  const perStep = new Map(names.map((name) => [name, [] as number[]]))
  for (let rep = 0; rep < reps; rep++) {
    const order = names.map((name) => ({ name, key: Math.random() })).sort((first, second) => first.key - second.key)
    for (const { name } of order) {
      inFetch = 0
      const { wall } = await time(() => sides[name]!(text))
      perStep.get(name)!.push(((wall - inFetch) * 1000) / S4_STEPS)
    }
  }
  const paired = (x: number[], y: number[]) => median(x.map((value, index) => value - y[index]!))
  const baseline = perStep.get('baseline')!
  const builds = names.filter((name) => name.startsWith('build '))
  const first = builds[0] === undefined ? undefined : perStep.get(builds[0])!
  console.log(`S4 client time over HTTP, ${reps} repetitions, µs per step (median; differences are medians of per-repetition differences)`)
  console.log(`${'side'.padEnd(24)}${'own'.padStart(8)}${'− baseline'.padStart(12)}${first ? '− first build'.padStart(15) : ''}`)
  for (const name of names) {
    const own = perStep.get(name)!
    const againstFirst = first !== undefined && builds.includes(name) ? paired(own, first).toFixed(1).padStart(15) : ''
    console.log(`${name.padEnd(24)}${median(own).toFixed(1).padStart(8)}${(name === 'baseline' ? '' : paired(own, baseline).toFixed(1)).padStart(12)}${againstFirst}`)
  }
} finally {
  await server.close()
}
