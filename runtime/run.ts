/**
 * One run: the graph of futures that `forward()` builds, scheduled dataflow-style. A node starts
 * the moment its last input resolves (no supersteps, no polling, no timers); a failed node fails
 * the run, aborts what is in flight and keeps everything not yet started from starting.
 *
 * The same class records graphs without executing them (`mode: 'trace'`), which is how the
 * runtime tracer builds `module.graph()`.
 */
import type { Graph, GraphModule, GraphNode, GraphParameter, NodeKind, OutputShape, JsonValue } from '../src/graph/types.js'
import { setMaxListeners } from 'node:events'
import { enterRun, leaveRun } from './context.js'
import { abortOwned, onAbort, ownedController } from './endpoints/abort.js'
import { NodeError, TraceError } from './errors.js'
import { futureFor, isFuture, nodeOfFuture } from './future.js'
import { captureCallSite, resolveCallSite, type CallSite } from './location.js'
import { hasPlaceholder, splitPlaceholders } from './placeholder.js'
import { keepShape } from './shapes.js'

/** What a node function gets besides its input values. */
export interface ExecuteContext {
  /** Aborted when the run fails or its caller aborts. */
  signal: AbortSignal
  run: Run
  node: RunNode
}

/** Everything needed to add a node. */
export interface NodeSpec {
  kind: NodeKind
  /** Base of the node id; a number is appended when taken (`extractor`, `extractor_2`). */
  base: string
  /** Dotted module path; defaults to the module whose `forward()` is running. */
  module?: string
  moduleType?: string
  alias?: string
  template?: string[]
  key?: string | number
  label?: string
  inputs: RunNode[]
  site?: CallSite
  /** Runs on the resolved input values, in input order. May return a promise. */
  execute: (values: unknown[], context: ExecuteContext) => unknown
  /**
   * For a node made by `addCall` (its `execute` is then the shared `runCall`): the function that
   * takes the rebuilt arguments, and the arguments' templates (`undefined` when the arguments are
   * exactly the input values, in order).
   */
  call?: ((args: unknown[], context: ExecuteContext) => unknown) | undefined
  args?: Template[] | undefined
}

/**
 * A failure scope (a compiled `try`, see `runtime/attempt.ts`): the nodes made while it is current
 * join it, and their failures go to it instead of failing the run.
 */
export interface NodeScope {
  /** Takes in a node made while the scope is current; false when it must not start (it is cancelled at once, with `node.error` set). */
  join(node: RunNode): boolean
  /** The scope current while the function of `node` (a member) runs: the nodes it makes join it. */
  enter(node: RunNode): NodeScope
  /** Whether `node`, about to start, must be cancelled instead (its `error` set). */
  stops(node: RunNode): boolean
  /** The signal the function of `node` gets. */
  signal(node: RunNode): AbortSignal
  /** A failure of `node`: true when the scope takes it, so the run does not fail. */
  capture(node: RunNode, error: unknown): boolean
  /** `node` settled (done, failed or cancelled). */
  settled(node: RunNode): void
}

/** Life of a node. */
export type NodeState = 'waiting' | 'running' | 'done' | 'failed' | 'cancelled'

/** Timing and details of one node, as kept for records and profiles. */
export interface NodeTiming {
  /** When all inputs had resolved (ms, `performance.now()`). */
  readyAt?: number
  startedAt?: number
  endedAt?: number
}

/** One node of a run. */
export class RunNode implements NodeTiming {
  // Fields set in the constructor, not by initializers: a class with field initializers calls one
  // more function per object, which counts while this code runs unoptimized (S4 in bench/).
  declare readonly run: Run
  declare readonly index: number
  declare readonly id: string
  declare readonly spec: NodeSpec
  declare readonly module: string
  declare state: NodeState
  declare value: unknown
  declare error: unknown
  /** Inputs not yet resolved. */
  declare remaining: number
  declare dependents: RunNode[] | undefined
  /** Nodes whose value is this node's value once it resolves (dynamic results). */
  declare adopters: RunNode[] | undefined
  declare waiters: Array<{ resolve: (value: unknown) => void; reject: (error: unknown) => void }> | undefined
  declare readyAt?: number
  declare startedAt?: number
  declare endedAt?: number
  /** LLM calls on the longest path from this node to the end of the run (set when forward() returns). */
  declare priority: number
  /** For a node whose function handed back pending values: the node its value came from. */
  declare adopted: RunNode | undefined
  /** The resolved arguments of a node made by `addCall` (a module call, a method call). */
  declare received: unknown[] | undefined
  /** Free-form details a node function adds (endpoint, attempts, usage). */
  declare details: Record<string, unknown> | undefined
  declare proxy: unknown
  /** The failure scope the node belongs to (a compiled `try`), if any. */
  declare scope: NodeScope | undefined
  /** Its request in flight, aborted when the run aborts (a direct call, see runtime/direct.ts). */
  declare request: { abort(reason: unknown): void } | undefined

  constructor(run: Run, index: number, id: string, spec: NodeSpec, module: string) {
    this.state = 'waiting'
    this.value = undefined
    this.error = undefined
    this.remaining = 0
    this.dependents = undefined
    this.adopters = undefined
    this.waiters = undefined
    this.readyAt = undefined
    this.startedAt = undefined
    this.endedAt = undefined
    this.priority = spec.kind === 'call' ? 1 : 0
    this.adopted = undefined
    this.received = undefined
    this.details = undefined
    this.proxy = undefined
    this.scope = undefined
    this.request = undefined
    this.run = run
    this.index = index
    this.id = id
    this.spec = spec
    this.module = module
  }

  get inputs(): RunNode[] {
    return this.spec.inputs
  }

  /** Calls `resolve` or `reject` once the node settles. */
  whenSettled(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    if (this.state === 'done') resolve(this.value)
    else if (this.state === 'failed' || this.state === 'cancelled') reject(this.error ?? this.run.failure)
    else (this.waiters ??= []).push({ resolve, reject })
  }
}

/** A value with the places where pending values sit, so it can be rebuilt from resolved ones. */
export type Template =
  | { kind: 'literal'; value: unknown }
  | { kind: 'node'; node: RunNode }
  | { kind: 'array'; items: Template[] }
  | { kind: 'object'; entries: Array<[string, Template]> }

/**
 * What happened to one node, reported when it settles. Times are milliseconds since the run
 * started.
 */
export interface NodeRecord {
  /** Number of the run, unique in the process. */
  run: number
  id: string
  kind: NodeKind
  module: string
  alias?: string
  inputs: string[]
  state: 'done' | 'failed' | 'cancelled'
  /** When its last input resolved. */
  readyMs?: number
  startMs?: number
  endMs?: number
  /** What the node function added: for LLM calls the endpoint, usage and number of calls. */
  details?: Record<string, unknown>
  error?: unknown
}

/** Options of a run. */
export interface RunOptions<Services> {
  mode: 'execute' | 'trace'
  /** Aborts the run from outside. */
  signal?: AbortSignal
  /** What node functions need (endpoints, backend); opaque to the run. */
  services: Services
  /** Called as each node settles (done, failed or cancelled). */
  onNode?: (record: NodeRecord) => void
  /**
   * `'critical-path'` (default): nodes with the most LLM calls ahead of them start first, and leaf
   * calls carry that as their priority to the endpoint limiter; `'fifo'`: creation order only.
   */
  scheduling?: 'critical-path' | 'fifo'
  /**
   * Whether settled nodes are read after the run (a tape is kept): their details, received
   * arguments and call sites stay. Default true; with false (and no `onNode`) a node keeps only
   * what its dependents and the output need once it is done, and node functions may skip
   * building details nobody reads (see `Run.recording`).
   */
  keepHistory?: boolean
  /** The item's index in a batch or stream, when the run is one (ledgers record it). */
  index?: number | undefined
}

/** A base that a numbered id (`base_2`) could equal. */
const numbered = /_\d+$/

/** Kinds whose functions run user code, which may hand back values that are still pending. */
const dynamicKinds = new Set<NodeKind>(['derive', 'cond', 'map', 'effect', 'await'])

/**
 * What a node function returns when it settles its node itself, later, with `run.complete(node,
 * value)` or `run.fail(node, error)` (a direct LLM call, see runtime/direct.ts): no promise between
 * the reply and the node.
 *
 * @example
 * ```ts
 * execute: (values, { run, node }) => {
 *   setTimeout(() => run.complete(node, 42), 10)
 *   return deferred
 * }
 * ```
 */
export const deferred: unique symbol = Symbol('plait.deferred')

let runCounter = 0
/** Whether the placeholder run that keeps the shapes of a run's objects exists (see `keepRunShapes`). */
let runShapesKept = false
/** Nodes that may run at once before the run's signal takes any number of listeners (Node warns past 10). */
const MANY_RUNNING = 8
const now = () => performance.now()

/**
 * A run of one top-level call.
 *
 * @example
 * ```ts
 * const run = new Run({ mode: 'execute', services: {} })
 * const node = run.addNode({ kind: 'derive', base: 'double', inputs: [], execute: () => 2 })
 * const value = await run.finish(run.capture(futureFor(node)))
 * ```
 */
export class Run<Services = unknown> {
  // Fields set in the constructor, not by initializers: the initializers run as one more function
  // per run, and a field declared without a value is still defined on the object one at a time.
  declare readonly number: number
  /** The item's index in a batch or stream, when the run is one. */
  declare readonly index: number | undefined
  declare readonly mode: 'execute' | 'trace'
  declare readonly services: Services
  declare readonly nodes: RunNode[]
  /**
   * Made when its signal is first asked for (`run.signal`; an `AbortController` costs tens of µs
   * when the process is cold, and a run whose calls take no signal never needs one). Aborted
   * through `abortOwned` only (see `ownedController`).
   */
  private declare controller: AbortController | undefined
  /** `controller.signal`, read once (the getter is a call per read). */
  private declare ownSignal: AbortSignal | undefined
  /** The last side effect of the run: the next one waits for it (program order). */
  declare lastEffect: RunNode | undefined
  /** The first failure: a NodeError, the error `forward()` threw, or the abort reason. */
  declare failure: unknown
  /** The failure scope new nodes join (a compiled `try` being built or running), if any. */
  declare scope: NodeScope | undefined
  /** How many ids each base has taken (see `newId`). */
  private declare readonly idCounts: Map<string, number>
  private declare readonly moduleStack: string[]
  private declare unsettled: number
  /** Nodes running now (see `start`): past a few, the run's signal takes any number of listeners. */
  private declare running: number
  private declare liftedListenerLimit: boolean
  private declare sealed: boolean
  private declare onIdle: (() => void) | undefined
  private declare readonly onNode: ((record: NodeRecord) => void) | undefined
  /** Whether nodes are ordered critical path first (see RunOptions.scheduling). */
  declare readonly prioritized: boolean
  /**
   * Whether anyone reads a node's `details`, `received` and call site once it has settled (an
   * `onNode` observer, or a tape: `keepHistory`). When false, node functions need not fill
   * `details`, and a node that is done drops its function and call site.
   */
  declare readonly recording: boolean
  /** When the run was created (`performance.now()`). */
  declare readonly startedAt: number
  private declare detach: (() => void) | undefined
  private declare readonly ready: RunNode[]
  private declare readyHead: number
  /** Whether `prioritize` has run. */
  private declare prioritiesKnown: boolean
  private declare draining: boolean

  constructor(options: RunOptions<Services>) {
    if (!runShapesKept) keepRunShapes()
    this.number = ++runCounter
    this.index = options.index
    this.mode = options.mode
    this.services = options.services
    this.nodes = []
    this.controller = undefined
    this.ownSignal = undefined
    this.lastEffect = undefined
    this.failure = undefined
    this.scope = undefined
    this.idCounts = new Map()
    this.moduleStack = ['']
    this.unsettled = 0
    this.running = 0
    this.liftedListenerLimit = false
    this.sealed = false
    this.onIdle = undefined
    this.onNode = options.onNode
    this.prioritized = (options.scheduling ?? 'critical-path') === 'critical-path'
    this.recording = options.onNode !== undefined || options.keepHistory !== false
    this.startedAt = now()
    this.detach = undefined
    this.ready = []
    this.readyHead = 0
    this.draining = false
    this.prioritiesKnown = false
    const signal = options.signal
    if (signal?.aborted) this.abort(signal.reason)
    // Left in finish(). Not an `abort` listener per run: a batch's runs share one signal, and
    // Node's `addEventListener` compares each new listener with all of a signal's listeners, so a
    // batch of n items would take n² steps to start (half its time at 16,000 items).
    else if (signal) this.detach = onAbort(signal, (reason) => this.abort(reason))
  }

  /** Aborted when the run fails or its caller aborts. */
  get signal(): AbortSignal {
    return this.ownSignal ?? this.makeSignal()
  }

  private makeSignal(): AbortSignal {
    const controller = (this.controller = ownedController())
    const signal = (this.ownSignal = controller.signal)
    if (this.liftedListenerLimit) setMaxListeners(0, signal)
    if (this.failure !== undefined) abortOwned(controller, this.failure)
    return signal
  }

  /** The module whose `forward()` is running now. */
  get currentModule(): string {
    return this.moduleStack[this.moduleStack.length - 1]!
  }

  /** Runs `body` as the `forward()` of the module at `path`. */
  inModule<T>(path: string, body: () => T): T {
    this.moduleStack.push(path)
    try {
      return body()
    } finally {
      this.moduleStack.pop()
    }
  }

  /** Adds a node; in execute mode it starts as soon as its inputs have resolved. */
  addNode(spec: NodeSpec): RunNode {
    const node = new RunNode(this, this.nodes.length, this.newId(spec.base), spec, spec.module ?? this.currentModule)
    this.nodes.push(node)
    if (this.mode === 'trace') return node
    this.unsettled++
    node.scope = this.scope
    if (this.failure !== undefined || (node.scope !== undefined && !node.scope.join(node))) {
      this.cancel(node)
      return node
    }
    let remaining = 0
    for (const input of spec.inputs) {
      if (input.state === 'done') continue
      if (input.state !== 'waiting' && input.state !== 'running') {
        this.cancel(node)
        return node
      }
      remaining++
      // Not `(dependents ??= []).push(node)`: V8 gives an empty array room for 17 on its first push.
      if (input.dependents === undefined) input.dependents = [node]
      else input.dependents.push(node)
    }
    node.remaining = remaining
    if (remaining === 0) this.enqueue(node)
    return node
  }

  /**
   * A fresh node id for `base`: `base`, then `base_2`, `base_3`... Compiled code brings its own
   * ids (`facts`, `facts_2`), so a repeated one must not take an id already given out for another
   * base. Ids numbered here from two different bases never meet (the digits after the last `_`
   * give the base back), so an id can only be taken by another base in two ways, both answered
   * by the per-base counts without a set of every id:
   * - `base_k` (numbered here) was a base used as it is: `idCounts` has `base_k`;
   * - `base` used as it is ends in `_n` (n ≥ 2, no leading zero): `X_n` was numbered from `X`
   *   once `X`'s count reached n.
   */
  private newId(base: string): string {
    const counts = this.idCounts
    let count = (counts.get(base) ?? 0) + 1
    let id: string
    if (count === 1) {
      id = base
      if (numbered.test(base) && this.numberedFromOther(base)) id = `${base}_${++count}`
    } else {
      id = `${base}_${count}`
    }
    while (count > 1 && counts.has(id)) id = `${base}_${++count}`
    counts.set(base, count)
    return id
  }

  /** Whether `id` (`X_n`) was given out as number n of base `X`. */
  private numberedFromOther(id: string): boolean {
    const cut = id.lastIndexOf('_')
    const digits = id.slice(cut + 1)
    const n = Number(digits)
    return n >= 2 && String(n) === digits && (this.idCounts.get(id.slice(0, cut)) ?? 0) >= n
  }

  /**
   * Adds a node whose function takes the resolved form of `args` (values that may hold pending
   * values anywhere: strings with placeholders, arrays, plain objects).
   */
  addCall(spec: Omit<NodeSpec, 'inputs' | 'execute'>, args: unknown[], execute: (args: unknown[], context: ExecuteContext) => unknown): RunNode {
    const site = spec.site ?? captureCallSite()
    let inputs: RunNode[]
    let templates: Template[] | undefined
    if (args.length === 1) {
      // The usual module call: one argument, often another call's pending value.
      const only = this.capture(args[0], site)
      if (only.kind === 'node') inputs = [only.node]
      else {
        templates = [only]
        inputs = only.kind === 'literal' ? [] : inputsOf(templates)
      }
    } else {
      templates = new Array<Template>(args.length)
      for (let index = 0; index < args.length; index++) templates[index] = this.capture(args[index], site)
      inputs = inputsOf(templates)
      if (sameAsInputs(templates, inputs)) templates = undefined
    }
    // The hot path: no spread, and the node function comes from a factory (one closure per call).
    return this.addNode({
      kind: spec.kind,
      base: spec.base,
      module: spec.module,
      moduleType: spec.moduleType,
      alias: spec.alias,
      template: spec.template,
      key: spec.key,
      label: spec.label,
      inputs,
      site,
      execute: runCall,
      call: execute,
      args: templates,
    })
  }

  /**
   * Finds the pending values inside `value`. Strings holding placeholders become `render` nodes.
   * Throws a TraceError for a damaged placeholder or one from another run.
   */
  capture(value: unknown, site?: CallSite): Template {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'string')) {
      return { kind: 'literal', value }
    }
    if (typeof value === 'string') return hasPlaceholder(value) ? this.captureText(value, site) : { kind: 'literal', value }
    const node = nodeOfFuture(value)
    if (node !== undefined) {
      if (node.run !== this) throw new TraceError('A pending value from another run was used', 'Pass values between runs only after they resolve (await the first run).', resolveCallSite(site ?? captureCallSite()))
      return { kind: 'node', node }
    }
    if (Array.isArray(value)) {
      const items = value.map((item) => this.capture(item, site))
      return items.every((item) => item.kind === 'literal') ? { kind: 'literal', value } : { kind: 'array', items }
    }
    const prototype = Object.getPrototypeOf(value)
    if (prototype === Object.prototype || prototype === null) {
      const entries = Object.entries(value).map(([key, item]): [string, Template] => [key, this.capture(item, site)])
      return entries.every(([, item]) => item.kind === 'literal') ? { kind: 'literal', value } : { kind: 'object', entries }
    }
    return { kind: 'literal', value }
  }

  private captureText(text: string, site: CallSite | undefined): Template {
    const split = splitPlaceholders(text)
    if (!split) {
      throw new TraceError(
        'A pending value inside a string was cut or altered (a damaged placeholder)',
        'Slicing, measuring or searching text that holds an LLM result needs the real text: do it in a helper that the result is passed to, or `await` the result first in an async forward().',
        resolveCallSite(site ?? captureCallSite()),
      )
    }
    const refs = split.refs
    const inputs = new Array<RunNode>(refs.length)
    for (let index = 0; index < refs.length; index++) {
      const { run, node } = refs[index]!
      const found = run === this.number ? this.nodes[node] : undefined
      if (!found) throw new TraceError('A pending value from another run was used', 'Pass values between runs only after they resolve (await the first run).', resolveCallSite(site ?? captureCallSite()))
      inputs[index] = found
    }
    const parts = split.parts
    const node = this.addNode({ kind: 'render', base: 'render', template: parts, inputs, site, execute: renderFunction(parts) })
    return { kind: 'node', node }
  }

  /**
   * Runs the synchronous part of `forward()`. Nodes that become ready meanwhile wait until it
   * returns (microseconds: no LLM result can arrive during synchronous code), so that their
   * priorities see the whole graph: under contention, nodes on the longest remaining path of LLM
   * calls go first.
   */
  build<T>(body: () => T): T {
    if (this.draining || this.mode === 'trace') return body()
    this.draining = true
    let built = false
    try {
      const result = body()
      built = true
      return result
    } finally {
      this.draining = false
      if (built) {
        // Priorities order the nodes ready now, and calls that wait for a slot (`priorityOf`):
        // worked out when first needed, which a chain never does.
        if (this.prioritized && this.ready.length > 1) {
          this.prioritize()
          // Stable: equal priorities keep their creation order.
          this.ready.sort((first, second) => second.priority - first.priority)
        }
        this.drain(undefined)
      } else {
        // forward() threw: the caller aborts the run, which cancels these.
        this.ready.length = 0
        this.readyHead = 0
      }
    }
  }

  /**
   * The priority of `node` (LLM calls on the longest path from it to the end of the run), for a
   * call that waits for an endpoint's slot.
   */
  priorityOf(node: RunNode): number {
    if (!this.prioritiesKnown) this.prioritize()
    return node.priority
  }

  /** Sets the priority of each node not yet settled to the number of LLM calls on the longest path from it to the end. */
  private prioritize(): void {
    this.prioritiesKnown = true
    const nodes = this.nodes
    for (let index = nodes.length - 1; index >= 0; index--) {
      const node = nodes[index]!
      if (node.state !== 'waiting' && node.state !== 'running') continue
      let longest = 0
      if (node.dependents) for (const dependent of node.dependents) if (dependent.priority > longest) longest = dependent.priority
      node.priority = longest + (node.spec.kind === 'call' ? 1 : 0)
    }
  }

  private enqueue(node: RunNode): void {
    // Times are read only by records and tapes.
    if (this.recording) node.readyAt = now()
    if (this.draining) this.ready.push(node)
    else this.drain(node)
  }

  /** Starts `first` (if given), then every node made ready meanwhile, in order. */
  private drain(first: RunNode | undefined): void {
    this.draining = true
    const ready = this.ready
    try {
      if (first !== undefined) this.start(first)
      while (this.readyHead < ready.length) this.start(ready[this.readyHead++]!)
    } finally {
      // Setting `length` is a call into the runtime: only when there is something to drop.
      if (ready.length > 0) ready.length = 0
      this.readyHead = 0
      this.draining = false
    }
  }

  private start(node: RunNode): void {
    if (this.failure !== undefined || node.scope?.stops(node) === true) {
      this.cancel(node)
      return
    }
    node.state = 'running'
    // Code running in a node may listen to the run's signal (a custom endpoint's `fetch`, a
    // loss), so a wide run would pass Node's limit of 10 listeners and warn of a leak that is
    // not one. Lifted once more than a few nodes run at once, not for every run: it costs more
    // than building a small run's nodes.
    if (++this.running > MANY_RUNNING && !this.liftedListenerLimit) {
      this.liftedListenerLimit = true
      if (this.ownSignal !== undefined) setMaxListeners(0, this.ownSignal)
    }
    if (this.recording) node.startedAt = now()
    const inputs = node.spec.inputs
    const values = new Array<unknown>(inputs.length)
    for (let index = 0; index < inputs.length; index++) values[index] = inputs[index]!.value
    let result: unknown
    const scope = node.scope
    const outer = this.scope
    this.scope = scope?.enter(node)
    try {
      const context = new NodeContext(this, node, scope === undefined ? undefined : scope.signal(node))
      const previous = enterRun(this)
      try {
        result = node.spec.execute(values, context)
      } finally {
        leaveRun(previous)
      }
    } catch (error) {
      this.fail(node, error)
      return
    } finally {
      this.scope = outer
    }
    if (result === deferred) return
    if (result instanceof Promise) {
      result.then(
        (value) => this.resolveWith(node, value),
        (error) => this.fail(node, error),
      )
    } else {
      this.resolveWith(node, result)
    }
  }

  /** Completes `node` with `value`, first waiting for pending values inside it (dynamic results). */
  private resolveWith(node: RunNode, value: unknown): void {
    if (node.state !== 'running') return
    // Only user code (derive, cond, map, effect) can hand back values that are still pending, e.g.
    // a `.map()` whose callback called modules; LLM replies, selections and renders are plain values.
    if (!dynamicKinds.has(node.spec.kind)) return this.complete(node, value)
    let template: Template
    try {
      template = this.capture(value, node.spec.site)
    } catch (error) {
      this.fail(node, error)
      return
    }
    if (template.kind === 'literal') return this.complete(node, value)
    const collected: RunNode[] = []
    collectNodes(template, collected)
    const inputs = distinct(collected)
    const outer = this.scope
    this.scope = node.scope?.enter(node)
    const source =
      template.kind === 'node'
        ? template.node
        : this.addNode({ kind: 'derive', base: 'collect', label: 'collect', inputs, site: node.spec.site, execute: () => rebuild(template) })
    this.scope = outer
    node.adopted = source
    source.whenSettled(
      (resolved) => this.complete(node, resolved),
      (error) => this.fail(node, error),
    )
  }

  /** Completes a running node with `value` (a node function that returned `deferred` calls this). */
  complete(node: RunNode, value: unknown): void {
    if (node.state !== 'running') return
    node.state = 'done'
    this.running--
    node.value = value
    if (this.recording) node.endedAt = now()
    const dependents = node.dependents
    node.dependents = undefined
    if (dependents) {
      for (const dependent of dependents) {
        if (--dependent.remaining === 0 && dependent.state === 'waiting') this.enqueue(dependent)
      }
    }
    const waiters = node.waiters
    node.waiters = undefined
    if (waiters) for (const waiter of waiters) waiter.resolve(value)
    if (!this.recording) {
      // Nobody reads these once the node is done (no tape, no records): let them go now rather
      // than when the run ends, so that young-generation collections do not copy them.
      const spec = node.spec
      spec.execute = ran
      spec.call = undefined
      spec.args = undefined
      spec.site = undefined
    }
    this.settled(node)
  }

  /** Fails a running node with `cause` (a node function that returned `deferred` calls this). */
  fail(node: RunNode, cause: unknown): void {
    if (node.state !== 'running') return
    node.state = 'failed'
    this.running--
    if (this.recording) node.endedAt = now()
    const aborted = this.failure !== undefined
    node.error = aborted || cause instanceof NodeError || cause instanceof TraceError ? cause : this.nodeError(node, cause)
    if (!aborted && node.scope?.capture(node, node.error) !== true) this.abort(node.error)
    const waiters = node.waiters
    node.waiters = undefined
    if (waiters) for (const waiter of waiters) waiter.reject(node.error)
    this.settled(node)
  }

  /** A NodeError for `node` failing with `cause`. */
  nodeError(node: RunNode, cause: unknown): NodeError {
    return new NodeError({ nodeId: node.id, modulePath: node.module, kind: node.spec.kind, location: resolveCallSite(node.spec.site), cause })
  }

  private cancel(node: RunNode): void {
    if (node.state !== 'waiting') return
    node.state = 'cancelled'
    const waiters = node.waiters
    node.waiters = undefined
    if (waiters) for (const waiter of waiters) waiter.reject(node.error ?? this.failure)
    this.settled(node)
  }

  /**
   * Cancels `node` if it has not started, without failing the run: a failure scope (a compiled
   * `try`) gave up on it after an earlier node of the scope failed with `reason`.
   */
  dismiss(node: RunNode, reason: unknown): void {
    if (node.state !== 'waiting') return
    node.error = reason
    this.cancel(node)
  }

  /**
   * Fails the run with `reason` (kept as given): aborts in-flight node functions through the
   * signal and cancels every node that has not started.
   */
  abort(reason: unknown): void {
    if (this.failure !== undefined) return
    this.failure = reason ?? new Error('The run was aborted.')
    if (this.controller !== undefined) abortOwned(this.controller, this.failure)
    for (const node of this.nodes) {
      if (node.state === 'waiting') this.cancel(node)
      else if (node.request !== undefined) node.request.abort(this.failure)
    }
  }

  private settled(node: RunNode): void {
    node.scope?.settled(node)
    if (this.onNode) this.report(node, this.onNode)
    if (--this.unsettled === 0 && this.sealed) this.onIdle?.()
  }

  private report(node: RunNode, onNode: (record: NodeRecord) => void): void {
    const { spec } = node
    const since = (time: number | undefined) => (time === undefined ? undefined : time - this.startedAt)
    const record: NodeRecord = {
      run: this.number,
      id: node.id,
      kind: spec.kind,
      module: node.module,
      inputs: spec.inputs.map((input) => input.id),
      state: node.state as NodeRecord['state'],
    }
    if (spec.alias !== undefined) record.alias = spec.alias
    if (node.readyAt !== undefined) record.readyMs = since(node.readyAt)
    if (node.startedAt !== undefined) record.startMs = since(node.startedAt)
    if (node.endedAt !== undefined) record.endMs = since(node.endedAt)
    if (node.details !== undefined) record.details = node.details
    if (node.state === 'failed') record.error = node.error
    try {
      onNode(record)
    } catch (error) {
      // An observer's bug must not break the run; it still surfaces as an uncaught error.
      queueMicrotask(() => {
        throw error
      })
    }
  }

  /**
   * Waits until every node has settled (after a failure: until what was in flight has stopped),
   * then gives the output rebuilt from `output`, or throws the run's first failure.
   */
  async finish(output: Template): Promise<unknown> {
    this.sealed = true
    if (this.unsettled > 0) await new Promise<void>((resolve) => (this.onIdle = resolve))
    this.detach?.()
    if (this.failure !== undefined) throw this.failure
    return rebuild(output)
  }

  /** The run's graph in IR version 1. */
  toGraph(details: { name: string; inputs: RunNode[]; output: Template; modules: GraphModule[]; parameters: GraphParameter[] }): Graph {
    const nodes = this.nodes.map((node): GraphNode => {
      const { spec } = node
      const graphNode: GraphNode = { id: node.id, kind: spec.kind, inputs: spec.inputs.map((input) => input.id), module: node.module }
      if (spec.moduleType !== undefined) graphNode.moduleType = spec.moduleType
      if (spec.alias !== undefined) graphNode.alias = spec.alias
      if (spec.template !== undefined) graphNode.template = spec.template
      if (spec.key !== undefined) graphNode.key = spec.key
      if (spec.label !== undefined) graphNode.label = spec.label
      const location = resolveCallSite(spec.site)
      if (location) graphNode.loc = location
      return graphNode
    })
    return {
      version: 1,
      name: details.name,
      source: 'tracer',
      inputs: details.inputs.map((node) => node.id),
      nodes,
      output: outputShape(details.output),
      modules: details.modules,
      parameters: details.parameters,
      diagnostics: [],
    }
  }

  /** A future for `node` (the value user code holds). */
  future(node: RunNode): unknown {
    return futureFor(node)
  }
}

/** What a node function gets: its run's signal is made only when read (see `Run.signal`). */
class NodeContext implements ExecuteContext {
  // Fields set in the constructor, not by initializers (see RunNode).
  declare readonly run: Run
  declare readonly node: RunNode
  /** The signal of the node's failure scope, when it is in one. */
  declare readonly scopeSignal: AbortSignal | undefined

  constructor(run: Run, node: RunNode, scopeSignal: AbortSignal | undefined) {
    this.run = run
    this.node = node
    this.scopeSignal = scopeSignal
  }

  get signal(): AbortSignal {
    return this.scopeSignal ?? this.run.signal
  }
}

/**
 * Makes, with the first run, the placeholders that keep the shapes of a run's objects for the life
 * of the process (runtime/shapes.ts): a run with one node started in it, the node's future, and a
 * node context. The run takes no run number and never finishes.
 */
function keepRunShapes(): void {
  runShapesKept = true
  const run = new Run({ mode: 'execute', services: undefined, keepHistory: false })
  runCounter--
  const node = run.addNode({ kind: 'call', base: 'shape', inputs: [], execute: () => deferred })
  futureFor(node)
  keepShape(run)
  keepShape(new NodeContext(run, node, undefined))
}

/** The node function of a render node (made here: an anonymous closure, see `callFunction`). */
export function renderFunction(parts: readonly string[]): (values: unknown[]) => string {
  return (values) => renderText(parts, values)
}

/** `parts[0] + values[0] + parts[1] + ...`, with values turned to text as a template literal does. */
export function renderText(parts: readonly string[], values: readonly unknown[]): string {
  let text = parts[0]!
  for (let index = 0; index < values.length; index++) text += String(values[index]) + parts[index + 1]!
  return text
}

/**
 * Whether `value` holds a pending value anywhere (a future, a string with a placeholder, inside
 * arrays and plain objects), without adding nodes.
 */
export function holdsPending(value: unknown): boolean {
  if (typeof value === 'string') return hasPlaceholder(value)
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  if (isFuture(value)) return true
  if (Array.isArray(value)) return value.some(holdsPending)
  const prototype = Object.getPrototypeOf(value)
  return (prototype === Object.prototype || prototype === null) && Object.values(value).some(holdsPending)
}

/**
 * The node function of every call made by `addCall`: rebuilds the arguments from the resolved
 * inputs (or takes the input values as they are, see `NodeSpec.args`), keeps them on the node
 * (`received`) when the run records, and runs the node's `call` on them. One function for all
 * such nodes: no closure per node.
 */
function runCall(values: unknown[], context: ExecuteContext): unknown {
  const node = context.node
  const spec = node.spec
  const templates = spec.args
  let received = values
  if (templates !== undefined) {
    received = new Array<unknown>(templates.length)
    for (let index = 0; index < templates.length; index++) received[index] = rebuild(templates[index]!)
  }
  if (context.run.recording) node.received = received
  return spec.call!(received, context)
}

/** Whether the arguments `templates` stand for are exactly the values of `inputs`, in order. */
function sameAsInputs(templates: Template[], inputs: RunNode[]): boolean {
  if (templates.length !== inputs.length) return false
  for (let index = 0; index < templates.length; index++) {
    const template = templates[index]!
    if (template.kind !== 'node' || template.node !== inputs[index]) return false
  }
  return true
}

/** What a done node's function becomes when nothing records the run (see `Run.complete`). */
function ran(): never {
  throw new Error('Expected a node function to run once; this node has already run.')
}

/** The distinct nodes in `templates`, in order; an exact-size array for the usual one argument. */
function inputsOf(templates: Template[]): RunNode[] {
  if (templates.length === 1) {
    const only = templates[0]!
    if (only.kind === 'node') return [only.node]
    if (only.kind === 'literal') return []
  }
  const inputs: RunNode[] = []
  for (const template of templates) collectNodes(template, inputs)
  return distinct(inputs)
}

/** Adds the nodes in `template` to `into`, in order, repeats included (see `distinct`). */
function collectNodes(template: Template, into: RunNode[]): void {
  switch (template.kind) {
    case 'literal':
      return
    case 'node':
      into.push(template.node)
      return
    case 'array':
      for (const item of template.items) collectNodes(item, into)
      return
    case 'object':
      for (const [, item] of template.entries) collectNodes(item, into)
  }
}

/**
 * `nodes` without repeats, in order of first appearance: `nodes` itself when it has none. A scan
 * for the usual few; a set for a template over many pending values, where checking each node
 * against those before it would take n² steps.
 */
function distinct(nodes: RunNode[]): RunNode[] {
  if (nodes.length > 8) return [...new Set(nodes)]
  for (let index = 1; index < nodes.length; index++) {
    if (nodes.lastIndexOf(nodes[index]!, index - 1) !== -1) return [...new Set(nodes)]
  }
  return nodes
}

/** The value `template` stands for, once the nodes in it are done (their values are the node functions' input values). */
function rebuild(template: Template): unknown {
  switch (template.kind) {
    case 'literal':
      return template.value
    case 'node':
      return template.node.value
    case 'array':
      return template.items.map(rebuild)
    case 'object':
      return Object.fromEntries(template.entries.map(([key, item]) => [key, rebuild(item)]))
  }
}

/** The output shape of a template, with node ids for pending values. */
export function outputShape(template: Template): OutputShape {
  switch (template.kind) {
    case 'literal':
      return { literal: toJsonValue(template.value) }
    case 'node':
      return { node: template.node.id }
    case 'array':
      return { array: template.items.map(outputShape) }
    case 'object':
      return { object: Object.fromEntries(template.entries.map(([key, item]) => [key, outputShape(item)])) }
  }
}

function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null
  try {
    return JSON.parse(JSON.stringify(value)) as JsonValue
  } catch {
    return String(value)
  }
}
