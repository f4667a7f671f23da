/**
 * Small runtimes for S4 written for measuring (no plait code): what a runtime with issue 2's
 * features (and, with `Features.rest`, the checks of the rest of plait's) could cost at best. `bench/feature-floor.ts` runs them over HTTP, `bench/ab-sim.ts`
 * (`--mini`) in process. Each sends its requests through `send`, which takes the SDK's
 * `chat.completions.create` arguments and gives its reply's shape.
 */
import type OpenAI from 'openai'
import { S4_STEPS, systemOf } from '../scenarios/s4-baseline.js'

/** One request: the SDK's `chat.completions.create` (or a stand-in with its shape). */
export type Send = (body: { model: string; messages: OpenAI.Chat.ChatCompletionMessageParam[] }, options?: { signal: AbortSignal }) => PromiseLike<Reply>

/** What a runtime here reads of a reply. */
export interface Reply {
  model: string
  choices: Array<{ message: { content: string | null } }>
  usage?: { prompt_tokens: number; completion_tokens: number } | undefined
}

/** Which features a traced side has (see bench/feature-floor.ts). */
export interface Features {
  sites: boolean
  limits: boolean
  ledger: boolean
  /**
   * What plait must also keep, though S4 configures none of it: the checks and the bookkeeping
   * each call pays for it (priorities and a ready queue drained after `forward()`, the run
   * context around each node, failure scopes, records, observers, dynamic results, placeholders in
   * text inputs, numbered ids that cannot collide, a request object per call, rate limits,
   * timeouts, memo, budgets, prices, call events, the output's shape). Retries and fallbacks act
   * only after a failure, so S4 never reaches them.
   */
  rest?: boolean
}

interface LeanNode {
  step: number
  input: LeanNode | undefined
  dependents: LeanNode[]
  value: string | undefined
}

/**
 * The lean side: the graph built up front, one `then` per request; with `signal`, each request
 * gets it (the SDK adds a listener to it per request, as to a run's signal).
 */
export function leanChain(send: Send, text: string, signal?: AbortSignal): Promise<string> {
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
      void send({ model: 'fast', messages }, signal === undefined ? undefined : { signal }).then((completion) => {
        node.value = completion.choices[0]!.message.content!
        for (const dependent of node.dependents) start(dependent)
        if (--remaining === 0) resolve(node.value)
      })
    }
    start(nodes[0]!)
  })
}

// The traced sides: a tiny module system and a dataflow run with the features switched on.

const futureNode = Symbol('future node')

/** An endpoint: a client, a model, and a `maxConcurrent` limiter that holds across runs. */
class MiniEndpoint {
  active = 0
  readonly queue: MiniNode[] = []
  // Limits plait's endpoints may have; S4 sets none.
  readonly rpm: { tokens: number } | undefined = undefined
  readonly tpm: { tokens: number } | undefined = undefined
  readonly timeoutMs: number | undefined = undefined
  /** Adaptive backoff after 429s: 1 when nothing was refused. */
  rateFactor = 1
  constructor(
    readonly send: Send,
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
  state: 'waiting' | 'running' | 'done' | 'failed' | 'cancelled' = 'waiting'
  value: unknown = undefined
  remaining = 0
  dependents: MiniNode[] | undefined = undefined
  signal: StandInSignal | undefined = undefined
  // What plait's nodes also keep (see Features.rest).
  priority = 1
  scope: { settled(node: MiniNode): void } | undefined = undefined
  readyAt: number | undefined = undefined
  startedAt: number | undefined = undefined
  endedAt: number | undefined = undefined
  waiters: Array<(value: unknown) => void> | undefined = undefined
  details: Record<string, unknown> | undefined = undefined
  kind: 'call' | 'derive' = 'call'
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
  // What plait's runs also keep (see Features.rest).
  readonly recording = false
  readonly onNode: ((node: MiniNode) => void) | undefined = undefined
  readonly scope: MiniNode['scope'] = undefined
  readonly budgets: unknown[] = []
  readonly store: { get(key: string): unknown } | undefined = undefined
  readonly priceOf: ((alias: string) => number) | undefined = undefined
  readonly onEvent: ((event: unknown) => void) | undefined = undefined
  readonly readyQueue: MiniNode[] = []
  building = false
  readonly startedAt = performance.now()
  constructor(
    readonly features: Features,
    readonly paths: Map<MiniModule, string>,
    readonly ledger: Array<{ run: number; alias: string; model: string; promptTokens: number; completionTokens: number; cost?: number; priced?: boolean; status?: string }>,
  ) {
    this.number = ++runs
    if (features.limits) this.controller.signal.addEventListener('abort', () => this.abortInFlight(), { once: true })
  }

  abortInFlight(): void {
    for (const signal of this.inFlight) signal.abort(this.controller.signal.reason)
  }

  newId(base: string): string {
    let count = (this.idCounts.get(base) ?? 0) + 1
    let id = count === 1 ? base : `${base}_${count}`
    // plait's ids cannot collide with a base that ends in `_n` (see Run.newId).
    if (this.features.rest) {
      if (count === 1 && /_\d+$/.test(base)) id = `${base}_${++count}`
      while (count > 1 && this.idCounts.has(id)) id = `${base}_${++count}`
    }
    this.idCounts.set(base, count)
    return id
  }

  add(module: MiniModule, input: unknown, site: { stack?: string } | undefined): unknown {
    const path = this.paths.get(module)!
    const parent = typeof input === 'function' ? (input as unknown as Record<symbol, MiniNode>)[futureNode] : undefined
    // Text may hold placeholders of pending values (render nodes): plait looks.
    if (this.features.rest && parent === undefined && typeof input === 'string' && (input.includes(placeholderOpen) || input.includes(placeholderClose))) throw new Error('Placeholders are not part of this floor.')
    const node = new MiniNode(this, this.newId(path), module, parent, parent === undefined ? (input as string) : undefined, site)
    this.nodes.push(node)
    this.unsettled++
    if (this.features.rest) node.scope = this.scope
    if (parent !== undefined && parent.state !== 'done' && this.failure === undefined) {
      node.remaining = 1
      ;(parent.dependents ??= []).push(node)
    } else {
      this.ready(node)
    }
    return futureOf(node)
  }

  ready(node: MiniNode): void {
    if (this.failure !== undefined) {
      node.state = 'cancelled'
      return this.settle(node)
    }
    if (this.features.rest) {
      // Nodes ready while forward() runs wait for it, so that priorities see the whole graph.
      if (this.recording) node.readyAt = performance.now()
      if (this.building) {
        this.readyQueue.push(node)
        return
      }
      return this.start(node)
    }
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

  /** plait's way into a node (Features.rest): the run context, a failure scope, a request object, the endpoint's limits. */
  start(node: MiniNode): void {
    node.state = 'running'
    if (this.recording) node.startedAt = performance.now()
    const outer = runningIn
    runningIn = this
    try {
      if (this.budgets.length > 0) throw new Error('Budgets are not part of this floor.')
      if (this.store !== undefined) throw new Error('Memo is not part of this floor.')
      const endpoint = node.module.endpoint
      if (endpoint.rpm !== undefined || endpoint.tpm !== undefined || endpoint.rateFactor !== 1) throw new Error('Rate limits are not part of this floor.')
      this.onEvent?.({ type: 'queued' })
      if (endpoint.active < endpoint.maxConcurrent) {
        endpoint.active++
        this.send(node)
      } else {
        // Highest priority first, then first come.
        let at = endpoint.queue.length
        while (at > 0 && endpoint.queue[at - 1]!.priority < node.priority) at--
        endpoint.queue.splice(at, 0, node)
      }
    } catch (error) {
      this.failed(node, error, true)
    } finally {
      runningIn = outer
    }
  }

  /** After forward(): priorities (LLM calls on the longest path to the end), then the queue of ready nodes. */
  built(): void {
    this.building = false
    for (let index = this.nodes.length - 1; index >= 0; index--) {
      const node = this.nodes[index]!
      let longest = 0
      if (node.dependents) for (const dependent of node.dependents) if (dependent.priority > longest) longest = dependent.priority
      node.priority = longest + (node.kind === 'call' ? 1 : 0)
    }
    const ready = this.readyQueue.sort((first, second) => second.priority - first.priority)
    for (let index = 0; index < ready.length; index++) this.start(ready[index]!)
    ready.length = 0
  }

  send(node: MiniNode): void {
    const endpoint = node.module.endpoint
    const input = node.input === undefined ? node.literal! : (node.input.value as string)
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: node.module.system },
      { role: 'user', content: input },
    ]
    let body: { model: string; messages: OpenAI.Chat.ChatCompletionMessageParam[] } = { model: endpoint.model, messages }
    if (this.features.rest) {
      // The module's request options copied per call, then the endpoint's body made from them.
      const request = Object.assign({}, node.module.requestOptions) as Record<string, unknown>
      request.messages = messages
      body = { model: endpoint.model, messages: request.messages as OpenAI.Chat.ChatCompletionMessageParam[] }
      if (request.temperature !== undefined) (body as Record<string, unknown>).temperature = request.temperature
      if (request.maxTokens !== undefined) (body as Record<string, unknown>).max_tokens = request.maxTokens
      if (endpoint.timeoutMs !== undefined) throw new Error('Timeouts are not part of this floor.')
    }
    let options: { signal: AbortSignal } | undefined
    if (this.features.limits) {
      const signal = new StandInSignal()
      node.signal = signal
      this.inFlight.add(signal)
      options = { signal: signal as unknown as AbortSignal }
    }
    endpoint.send(body, options).then(
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

  replied(node: MiniNode, completion: Reply): void {
    this.released(node)
    if (this.features.ledger) {
      const usage = completion.usage
      const promptTokens = usage?.prompt_tokens ?? 0
      const completionTokens = usage?.completion_tokens ?? 0
      if (this.features.rest) {
        const price = this.priceOf?.(node.module.alias)
        this.ledger.push({ run: this.number, alias: node.module.alias, model: completion.model, promptTokens, completionTokens, cost: price ?? 0, priced: price !== undefined, status: 'ok' })
      } else {
        this.ledger.push({ run: this.number, alias: node.module.alias, model: completion.model, promptTokens, completionTokens })
      }
    }
    const text = completion.choices[0]?.message.content
    if (typeof text !== 'string') return this.failed(node, new Error(`Expected a reply with text from ${completion.model}.`), true)
    this.onEvent?.({ type: 'end' })
    // Only user code can hand back pending values (plait's dynamic kinds).
    if (this.features.rest && node.kind !== 'call') throw new Error('Dynamic results are not part of this floor.')
    node.state = 'done'
    node.value = text
    if (this.recording) node.endedAt = performance.now()
    const dependents = node.dependents
    if (dependents !== undefined) for (const dependent of dependents) if (--dependent.remaining === 0) this.ready(dependent)
    const waiters = node.waiters
    if (waiters !== undefined) for (const waiter of waiters) waiter(text)
    if (this.features.rest) {
      node.scope?.settled(node)
      if (this.onNode) this.onNode(node)
    }
    this.settle(node)
  }

  failed(node: MiniNode, error: unknown, released = false): void {
    if (!released) this.released(node)
    node.state = 'failed'
    if (this.failure === undefined) {
      this.failure = new Error(`Node ${node.id} failed: ${String(error)}${node.site ? ` (${node.site.stack?.split('\n')[1]?.trim()})` : ''}`)
      this.controller.abort(this.failure)
      // Nodes not yet started never start: they settle as cancelled.
      for (const waiting of this.nodes) {
        if (waiting.state !== 'waiting') continue
        waiting.state = 'cancelled'
        this.settle(waiting)
      }
    }
    this.settle(node)
  }

  settle(_node: MiniNode): void {
    if (--this.unsettled === 0) this.onIdle?.()
  }

  finish(output: unknown): Promise<string> {
    const node = (output as Record<symbol, MiniNode>)[futureNode]!
    return new Promise((resolve, reject) => {
      const done = () => (this.failure !== undefined ? reject(this.failure) : resolve((this.features.rest ? rebuild({ kind: 'node', node }) : node.value) as string))
      if (this.unsettled === 0) done()
      else this.onIdle = done
    })
  }
}
let runs = 0
/** The run whose node is running (plait's run context, for user code in nodes). */
let runningIn: MiniRun | undefined
/** What marks a placeholder in text (see runtime/placeholder.ts). */
const placeholderOpen = '\uE000'
const placeholderClose = '\uE001'

/** The output's shape with node values in place of futures (plait's `rebuild`). */
function rebuild(template: { kind: 'node'; node: MiniNode } | { kind: 'literal'; value: unknown }): unknown {
  return template.kind === 'node' ? template.node.value : template.value
}

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
  /** Request options of the module (temperature, maxTokens, ...), none here. */
  requestOptions: Record<string, unknown>
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
  callable.requestOptions = {}
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

/** A traced side: the S4 chain as a module whose `forward()` runs per call, with `features`. */
export function tracedChain(send: Send, features: Features): (text: string) => Promise<string> {
  const endpoint = new MiniEndpoint(send, 'fast', 8)
  const module = new MiniChain(endpoint)
  const ledger: MiniRun['ledger'] = []
  return (text) => {
    const run = new MiniRun(features, pathsOf(module), ledger)
    const outer = currentRun
    currentRun = run
    run.building = features.rest === true
    let output: unknown
    try {
      output = module.forward(text)
    } finally {
      currentRun = outer
    }
    if (features.rest) run.built()
    if (ledger.length > 1000) ledger.length = 0
    return run.finish(output)
  }
}
