/**
 * The floor of S4 over HTTP for a runtime with the features issue 2 asks of plait, added one at a
 * time: what a rebuilt runtime core could reach at best, next to what plait costs now. Every side
 * is a small runtime written here for the purpose (no plait code), run against the SDK baseline
 * as client time (wall minus time inside `fetch`), all sides in one process, in a new random order
 * each repetition, with a full GC before each run (`BENCH_NO_GC=1` leaves it out).
 *   npx tsx --import ./bench/lib/use-built-package.mjs bench/feature-floor.ts [reps=60]
 * Sides, each with everything of the one before:
 * - `lean`: the graph built up front, one `then` per request (as bench/lean-floor.ts);
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
 * - `plait`: the S4 chain on plait as built for publishing, for comparison in the same process.
 */
import OpenAI from 'openai'
import { openai } from 'plait/endpoints'
import { time } from './lib/interleave.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { median } from './lib/stats.js'
import { sampleDoc } from './scenarios/docs.js'
import { chain, S4_STEPS, s4Latency, systemOf, timingFetch } from './scenarios/s4-baseline.js'
import { Chain } from './scenarios/s4-chain.js'

const reps = Number(process.argv[2] ?? '60')
let inFetch = 0
const timedFetch = timingFetch((ms) => (inFetch += ms))

/** Which features a side has. */
interface Features {
  sites: boolean
  limits: boolean
  ledger: boolean
}

// ---------------------------------------------------------------------------------------------
// The lean side: the graph up front, no tracing.

interface LeanNode {
  step: number
  input: LeanNode | undefined
  dependents: LeanNode[]
  value: string | undefined
}

function leanChain(client: OpenAI, text: string): Promise<string> {
  const nodes: LeanNode[] = []
  let previous: LeanNode | undefined
  for (let step = 0; step < S4_STEPS; step++) {
    const node: LeanNode = { step, input: previous, dependents: [], value: undefined }
    previous?.dependents.push(node)
    nodes.push(node)
    previous = node
  }
  return new Promise((resolve) => {
    let remaining = nodes.length
    const start = (node: LeanNode): void => {
      const input = node.input === undefined ? text : node.input.value!
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
        { role: 'system', content: systemOf(node.step) },
        { role: 'user', content: input },
      ]
      void client.chat.completions.create({ model: 'fast', messages }).then((completion) => {
        node.value = completion.choices[0]!.message.content!
        for (const dependent of node.dependents) start(dependent)
        if (--remaining === 0) resolve(node.value)
      })
    }
    start(nodes[0]!)
  })
}

// ---------------------------------------------------------------------------------------------
// The traced sides: a tiny module system and a dataflow run with the features switched on.

const futureNode = Symbol('future node')

/** An endpoint: a client, a model, and a `maxConcurrent` limiter that holds across runs. */
class MiniEndpoint {
  active = 0
  readonly queue: MiniNode[] = []
  constructor(
    readonly client: OpenAI,
    readonly model: string,
    readonly maxConcurrent: number,
  ) {}
}

/** A request's stand-in signal: what the SDK reads (`aborted`, one `abort` listener). */
class StandInSignal {
  aborted = false
  reason: unknown = undefined
  listener: ((event: { type: 'abort' }) => void) | undefined = undefined
  addEventListener(_type: string, listener: (event: { type: 'abort' }) => void): void {
    this.listener = listener
  }
  removeEventListener(): void {
    this.listener = undefined
  }
  abort(reason: unknown): void {
    this.aborted = true
    this.reason = reason
    this.listener?.({ type: 'abort' })
  }
}

class MiniNode {
  state: 'waiting' | 'running' | 'done' | 'failed' = 'waiting'
  value: unknown = undefined
  remaining = 0
  dependents: MiniNode[] | undefined = undefined
  signal: StandInSignal | undefined = undefined
  constructor(
    readonly run: MiniRun,
    readonly id: string,
    readonly module: MiniModule,
    readonly input: MiniNode | undefined,
    readonly literal: string | undefined,
    readonly site: { stack?: string } | undefined,
  ) {}
}

let currentRun: MiniRun | undefined

class MiniRun {
  readonly controller = new AbortController()
  readonly nodes: MiniNode[] = []
  readonly idCounts = new Map<string, number>()
  /** Stand-in signals of requests in flight, told when the run aborts (one listener per run). */
  readonly inFlight = new Set<StandInSignal>()
  failure: unknown = undefined
  unsettled = 0
  onIdle: (() => void) | undefined = undefined
  readonly number: number
  constructor(
    readonly features: Features,
    readonly paths: Map<MiniModule, string>,
    readonly ledger: Array<{ run: number; alias: string; model: string; promptTokens: number; completionTokens: number }>,
  ) {
    this.number = ++runs
    if (features.limits) this.controller.signal.addEventListener('abort', () => this.abortInFlight(), { once: true })
  }

  abortInFlight(): void {
    for (const signal of this.inFlight) signal.abort(this.controller.signal.reason)
  }

  newId(base: string): string {
    const count = (this.idCounts.get(base) ?? 0) + 1
    this.idCounts.set(base, count)
    return count === 1 ? base : `${base}_${count}`
  }

  add(module: MiniModule, input: unknown, site: { stack?: string } | undefined): unknown {
    const path = this.paths.get(module)!
    const parent = typeof input === 'function' ? (input as unknown as Record<symbol, MiniNode>)[futureNode] : undefined
    const node = new MiniNode(this, this.newId(path), module, parent, parent === undefined ? (input as string) : undefined, site)
    this.nodes.push(node)
    this.unsettled++
    if (parent !== undefined && parent.state !== 'done') {
      node.remaining = 1
      ;(parent.dependents ??= []).push(node)
    } else {
      this.ready(node)
    }
    return futureOf(node)
  }

  ready(node: MiniNode): void {
    if (this.failure !== undefined) return this.settle(node)
    node.state = 'running'
    const endpoint = node.module.endpoint
    if (!this.features.limits) return this.send(node)
    if (endpoint.active < endpoint.maxConcurrent) {
      endpoint.active++
      this.send(node)
    } else {
      endpoint.queue.push(node)
    }
  }

  send(node: MiniNode): void {
    const endpoint = node.module.endpoint
    const input = node.input === undefined ? node.literal! : (node.input.value as string)
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: node.module.system },
      { role: 'user', content: input },
    ]
    let options: { signal: AbortSignal } | undefined
    if (this.features.limits) {
      const signal = new StandInSignal()
      node.signal = signal
      this.inFlight.add(signal)
      options = { signal: signal as unknown as AbortSignal }
    }
    endpoint.client.chat.completions.create({ model: endpoint.model, messages }, options).then(
      (completion) => this.replied(node, completion),
      (error: unknown) => this.failed(node, error),
    )
  }

  released(node: MiniNode): void {
    if (!this.features.limits) return
    this.inFlight.delete(node.signal!)
    const endpoint = node.module.endpoint
    endpoint.active--
    const next = endpoint.queue.shift()
    if (next !== undefined) {
      endpoint.active++
      next.run.send(next)
    }
  }

  replied(node: MiniNode, completion: OpenAI.Chat.ChatCompletion): void {
    this.released(node)
    if (this.features.ledger) {
      const usage = completion.usage
      this.ledger.push({ run: this.number, alias: node.module.alias, model: completion.model, promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 })
    }
    const text = completion.choices[0]?.message.content
    if (typeof text !== 'string') return this.failed(node, new Error(`Expected a reply with text from ${completion.model}.`), true)
    node.state = 'done'
    node.value = text
    const dependents = node.dependents
    if (dependents !== undefined) for (const dependent of dependents) if (--dependent.remaining === 0) this.ready(dependent)
    this.settle(node)
  }

  failed(node: MiniNode, error: unknown, released = false): void {
    if (!released) this.released(node)
    node.state = 'failed'
    if (this.failure === undefined) {
      this.failure = new Error(`Node ${node.id} failed: ${String(error)}${node.site ? ` (${node.site.stack?.split('\n')[1]?.trim()})` : ''}`)
      this.controller.abort(this.failure)
    }
    this.settle(node)
  }

  settle(_node: MiniNode): void {
    if (--this.unsettled === 0) this.onIdle?.()
  }

  finish(output: unknown): Promise<string> {
    const node = (output as Record<symbol, MiniNode>)[futureNode]!
    return new Promise((resolve, reject) => {
      const done = () => (this.failure !== undefined ? reject(this.failure) : resolve(node.value as string))
      if (this.unsettled === 0) done()
      else this.onIdle = done
    })
  }
}
let runs = 0

const futureHandler: ProxyHandler<() => void> = {
  get(target, key) {
    if (key === futureNode) return (target as unknown as Record<symbol, MiniNode>)[futureNode]
    throw new Error('Only module calls take futures in this floor.')
  },
}

function futureOf(node: MiniNode): unknown {
  const target = function () {} as unknown as Record<symbol, MiniNode>
  target[futureNode] = node
  return new Proxy(target as unknown as () => void, futureHandler)
}

/** A callable module: `step(value)` adds a node to the current run. */
interface MiniModule {
  (input: unknown): unknown
  endpoint: MiniEndpoint
  alias: string
  system: string
}

function miniModule(endpoint: MiniEndpoint, alias: string, system: string): MiniModule {
  const callable = ((input: unknown) => {
    const run = currentRun!
    let site: { stack?: string } | undefined
    if (run.features.sites) {
      site = {}
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 1
      Error.captureStackTrace(site, callable)
      Error.stackTraceLimit = limit
    }
    return run.add(callable, input, site)
  }) as MiniModule
  callable.endpoint = endpoint
  callable.alias = alias
  callable.system = system
  return callable
}

class MiniChain {
  readonly steps: MiniModule[]
  constructor(endpoint: MiniEndpoint) {
    this.steps = Array.from({ length: S4_STEPS }, (_, step) => miniModule(endpoint, 'fast', systemOf(step)))
  }
  forward(text: string): unknown {
    let value: unknown = text
    for (const step of this.steps) value = step(value)
    return value
  }
}

/** Module paths, walked per run as a tracer must (fields may change between runs). */
function pathsOf(root: MiniChain): Map<MiniModule, string> {
  const paths = new Map<MiniModule, string>()
  const fields = root as unknown as Record<string, unknown>
  for (const key of Object.keys(fields)) {
    const value = fields[key]
    if (Array.isArray(value)) for (let index = 0; index < value.length; index++) paths.set(value[index] as MiniModule, `${key}.${index}`)
  }
  return paths
}

function tracedPipeline(client: OpenAI, features: Features): (text: string) => Promise<string> {
  const endpoint = new MiniEndpoint(client, 'fast', 8)
  const module = new MiniChain(endpoint)
  const ledger: MiniRun['ledger'] = []
  return (text) => {
    const run = new MiniRun(features, pathsOf(module), ledger)
    const outer = currentRun
    currentRun = run
    let output: unknown
    try {
      output = module.forward(text)
    } finally {
      currentRun = outer
    }
    if (ledger.length > 1000) ledger.length = 0
    return run.finish(output)
  }
}

// ---------------------------------------------------------------------------------------------

const server = await startMockServerProcess()
try {
  await server.setLatency(s4Latency)
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0, fetch: timedFetch })
  const sides: Record<string, (text: string) => Promise<string>> = {
    baseline: (text) => chain(client, text),
    lean: (text) => leanChain(client, text),
    traced: tracedPipeline(client, { sites: false, limits: false, ledger: false }),
    '+ call sites': tracedPipeline(client, { sites: true, limits: false, ledger: false }),
    '+ limits, abort': tracedPipeline(client, { sites: true, limits: true, ledger: false }),
    '+ ledger': tracedPipeline(client, { sites: true, limits: true, ledger: true }),
    plait: ((pipeline) => (text: string) => pipeline(text))(new Chain().bind({ endpoints: { fast: openai({ model: 'fast', baseURL: server.url, apiKey: 'bench', maxConcurrent: 8, fetch: timedFetch }) } })),
  }
  const text = sampleDoc(7)
  const expected = await sides['baseline']!(text)
  for (const [name, side] of Object.entries(sides)) if ((await side(text)) !== expected) throw new Error(`${name} and the baseline gave different outputs.`)
  for (let round = 0; round < 3; round++) for (const side of Object.values(sides)) await side(text)
  const names = Object.keys(sides)
  const perStep = new Map(names.map((name) => [name, [] as number[]]))
  for (let rep = 0; rep < reps; rep++) {
    const order = [...names].sort(() => Math.random() - 0.5)
    for (const name of order) {
      inFetch = 0
      const { wall } = await time(() => sides[name]!(text))
      perStep.get(name)!.push(((wall - inFetch) * 1000) / S4_STEPS)
    }
  }
  const baseline = perStep.get('baseline')!
  console.log(`S4 client time over HTTP, ${reps} repetitions, µs per step (median; side − baseline as the median of per-repetition differences)`)
  console.log(`${'side'.padEnd(18)}${'own'.padStart(8)}${'− baseline'.padStart(12)}`)
  for (const name of names) {
    const own = perStep.get(name)!
    const added = name === 'baseline' ? 0 : median(own.map((value, index) => value - baseline[index]!))
    console.log(`${name.padEnd(18)}${median(own).toFixed(1).padStart(8)}${(name === 'baseline' ? '' : added.toFixed(1)).padStart(12)}`)
  }
} finally {
  await server.close()
}
