/**
 * Bound pipelines: a module with endpoints, callable like a function, with `run`, `batch` and
 * `stream`. Each call is one run; runs share the endpoint objects, and so their limits.
 *
 * Every call of a run goes through two backend wrappers composed here, outside the backend that
 * talks to endpoints: `memoBackend` (when a memo store is given: replies by content hash, so a
 * re-run repeats no finished call) around `ledgerBackend` (usage and cost in the ledgers; budgets
 * that stop new calls). A memo hit never reaches the ledger backend: it costs nothing and is never
 * refused by a budget. See docs/batch.md.
 */
import type { LimitFunction } from 'p-limit'
import { inProcessBackend, type Backend, type CallOutcome } from '../runtime/backend.js'
import { warnIfTraced } from '../runtime/compilation.js'
import { inRun } from '../runtime/context.js'
import type { Endpoint, EndpointDescription } from '../runtime/endpoint.js'
import { abortOwned, onAbort, ownedController } from '../runtime/endpoints/abort.js'
import { PlaitError } from '../runtime/errors.js'
import { ledgerBackend, type BudgetCheck } from '../runtime/ledger/backend.js'
import { checkBudget, checkPrices, Ledger, type Budget, type BudgetScope, type Price, type Prices } from '../runtime/ledger/ledger.js'
import { memoBackend } from '../runtime/memo/backend.js'
import { isMemoStore, type MemoStore } from '../runtime/memo/store.js'
import { checkProgressOptions, trackProgress, type Progress, type ProgressBarOption, type ProgressTracker } from '../runtime/progress.js'
import { combineObservers, createOtelObserver, createTraceRecorder, type OtelObserverOptions, type RunObserver, type TraceRecorder } from '../runtime/observe/index.js'
import { Run, type NodeRecord, type Template } from '../runtime/run.js'
import { attachTape, recordTape, type Tape } from '../runtime/tape.js'
import type { Module } from './module.js'
import { modulePaths, ModuleTree } from './module-paths.js'
import { describe } from './parameter.js'
import type { PipelineServices } from './services.js'

/** The options of a call that passed none (frozen: shared by every such call). */
const noOptions: RunOptions = Object.freeze({})

/** Options of `module.bind()`. */
export interface BindOptions {
  /** Endpoint objects by alias: `{ fast: openai({ model: 'gpt-4o-mini' }), smart: simulated() }`. */
  endpoints: Readonly<Record<string, Endpoint>>
  /** Where leaf calls run; the in-process backend over `endpoints` by default. */
  backend?: Backend
  /**
   * Which of the calls waiting for a contended endpoint goes first: `'critical-path'` (default)
   * prefers calls with the most LLM calls still ahead of them, then first come first served;
   * `'fifo'` is first come first served only.
   */
  scheduling?: 'critical-path' | 'fifo'
  /**
   * A memo store for every run of this pipeline (`memoryStore()`, `fileStore(path)`,
   * `sqliteStore(path)`); a call's own `store` option replaces it, `store: false` turns it off.
   */
  store?: MemoStore
  /**
   * Prices per alias or model, in your currency per million tokens, for the ledger's cost:
   * `{ fast: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }`. A call is priced by the alias
   * that answered, else its endpoint's model, else the model the reply names.
   */
  prices?: Prices
  /** The ledger to record every call in (to share one between pipelines). Default: a new one. */
  ledger?: Ledger
  /** A budget over every run of this pipeline (its `ledger`): once spent, no new LLM call starts. */
  budget?: Budget
  /**
   * OpenTelemetry spans for every run and LLM call, following the GenAI semantic conventions.
   * Needs `@opentelemetry/api` installed (an optional peer); `{ recordContent: true }` also records
   * prompts and replies, `{ tracer }` picks where spans go. See docs/observability.md.
   */
  telemetry?: boolean | OtelObserverOptions
}

/** Options of one run. */
export interface RunOptions {
  /** Aborting stops new nodes from starting and aborts in-flight requests. */
  signal?: AbortSignal
  /** Called as each node of the run settles, with its timing and details. */
  onNode?: (record: NodeRecord) => void
  /**
   * Keep a tape of the run for backward passes; on by default when the module is in training
   * mode. The tape is attached to an object output (`tapeOf(value)`); `pipeline.record()` gives it
   * for any output.
   */
  record?: boolean
  /**
   * Answer LLM calls from this memo store when it has them, and keep every successful reply in it.
   * Replaces the pipeline's `store`; `false` turns memoizing off for this call.
   */
  store?: MemoStore | false
  /**
   * Names the work for the memo store: entries made under one `runId` are seen only by calls with
   * the same `runId` (without one, by every call without one). Re-run an interrupted batch with the
   * same `store`, `runId` and inputs to resume it. Needs a store.
   */
  runId?: string
  /**
   * A budget for this call (a run, or a whole batch or stream): once its calls have spent it, no new
   * LLM call starts; each fails with a `BudgetExceededError`. Calls in flight finish.
   */
  budget?: Budget
  /** A ledger that also records this call's LLM calls (besides `pipeline.ledger`). */
  ledger?: Ledger
  /**
   * Writes a Chrome trace of this call (a run, or a whole batch or stream) to this path when it
   * ends, successful or not: open it in Perfetto (ui.perfetto.dev) or chrome://tracing.
   */
  profile?: string
}

/** A value with the tape of the run that produced it. */
export interface Recorded<Out> {
  value: Out
  tape: Tape
}

/** Options of `batch()`. */
export interface BatchOptions extends RunOptions {
  /** Most runs in flight at once (endpoint limits hold regardless). Default: all. */
  concurrency?: number
  /** Called when an item starts or settles, with the counts ({@link Progress}). */
  onProgress?: (progress: Progress) => void
  /**
   * A progress bar on stderr (done, failed, in flight, rate, ETA). Default: on when stderr is a
   * terminal and `CI` is not set; `true` or `{ stream }` forces it on, `false` off.
   */
  progressBar?: ProgressBarOption
}

/** Options of `stream()`. */
export interface StreamOptions extends BatchOptions {
  /** Yield items in input order instead of as they settle. Default `false`. */
  ordered?: boolean
}

/** One settled item of a batch or stream. */
export type Settled<Out> = { index: number; ok: true; value: Out } | { index: number; ok: false; error: unknown }

/**
 * A module bound to endpoints. Call it with `forward()`'s own arguments; use `run(args, options)`
 * to pass an AbortSignal.
 *
 * @example
 * ```ts
 * const pipeline = new ExtractAndCompare().bind({ endpoints: { fast: simulated(), smart: simulated() } })
 * const result = await pipeline(doc1, doc2)
 * const withSignal = await pipeline.run([doc1, doc2], { signal: AbortSignal.timeout(10_000) })
 * const items = await pipeline.batch([[a1, a2], [b1, b2]], { concurrency: 8 })
 * for await (const item of pipeline.stream([[a1, a2], [b1, b2]])) console.log(item.index, item.ok)
 * const resumable = await pipeline.batch(inputs, { store: fileStore('.plait/memo.jsonl'), runId: 'eval-1' })
 * console.log(pipeline.ledger.total.totalTokens, pipeline.ledger.byAlias.fast?.cost)
 * ```
 */
export interface Pipeline<In extends unknown[], Out> {
  (...args: In): Promise<Awaited<Out>>
  /** One run with options. */
  run(args: In, options?: RunOptions): Promise<Awaited<Out>>
  /** One run that keeps its tape, returned beside the value. */
  record(args: In, options?: Omit<RunOptions, 'record'>): Promise<Recorded<Awaited<Out>>>
  /** Runs every item; each settles on its own. Resolves in input order. */
  batch(inputs: Iterable<In>, options?: BatchOptions): Promise<Array<Settled<Awaited<Out>>>>
  /** Runs every item and yields each once as it settles (or in input order). Breaking out cancels the rest. */
  stream(inputs: Iterable<In>, options?: StreamOptions): AsyncIterableIterator<Settled<Awaited<Out>>>
  readonly module: Module<In, Out>
  readonly endpoints: Readonly<Record<string, Endpoint>>
  /** What this pipeline's LLM calls spent, in total, per alias and per run (`bind({ ledger })`, or its own). */
  readonly ledger: Ledger
}

/** What the calls of one `run()`, `batch()` or `stream()` share: memo store and namespace, ledgers, budgets. */
interface CallScope {
  store: MemoStore | undefined
  namespace: string
  ledgers: Ledger[]
  budgets: BudgetCheck[]
  /** The profile's recorder, when `profile` is set. */
  trace: TraceRecorder | undefined
  /** The ledger's backend of its runs, made by the first one (see `backendFor`). */
  backend?: Backend
}

/** Implements `module.bind()`. */
export function bindModule<In extends unknown[], Out>(module: Module<In, Out>, options: BindOptions): Pipeline<In, Out> {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected bind options to be an object like \`{ endpoints: { fast: simulated() } }\`, got ${describe(options)}.`)
  const { endpoints } = options
  if (endpoints === null || typeof endpoints !== 'object') throw new TypeError(`Expected \`endpoints\` to be an object of endpoints by alias, got ${describe(endpoints)}.`)
  for (const [alias, endpoint] of Object.entries(endpoints)) {
    if ((endpoint as Partial<Endpoint> | null)?.isPlaitEndpoint !== true) {
      throw new TypeError(`Expected \`endpoints.${alias}\` to be an endpoint (from \`openai()\`, \`simulated()\` or \`defineEndpoint()\`), got ${describe(endpoint)}.`)
    }
  }
  const missing = new Map<string, string[]>()
  const used = new Set<string>()
  for (const [path, child] of module.namedModules()) {
    const alias = (child as { alias?: unknown }).alias
    if (typeof alias === 'string') used.add(alias)
    if (typeof alias === 'string' && !Object.hasOwn(endpoints, alias)) missing.set(alias, [...(missing.get(alias) ?? []), path || '(root)'])
  }
  if (missing.size > 0) {
    const list = [...missing].map(([alias, paths]) => `\`${alias}\` (used by ${paths.join(', ')})`).join(', ')
    throw new PlaitError(`Expected an endpoint for every alias ${module.constructor.name} uses; missing: ${list}. Bound: ${Object.keys(endpoints).join(', ') || 'none'}.`)
  }
  const base = options.backend ?? inProcessBackend(endpoints)
  const { scheduling = 'critical-path' } = options
  if (scheduling !== 'critical-path' && scheduling !== 'fifo') throw new TypeError(`Expected \`scheduling\` to be 'critical-path' or 'fifo', got ${describe(scheduling)}.`)
  const pipelineStore = options.store === undefined ? undefined : checkStore(options.store, 'bind()')
  const prices = options.prices === undefined ? {} : checkPrices(options.prices)
  if (options.ledger !== undefined && !(options.ledger instanceof Ledger)) throw new TypeError(`Expected \`ledger\` of bind() to be a Ledger (\`new Ledger()\`), got ${describe(options.ledger)}.`)
  const ledger = options.ledger ?? new Ledger()

  // Endpoint descriptions, read once: memo keys and prices depend on them.
  const descriptions = new Map<string, EndpointDescription>()
  const descriptionOf = (alias: string): EndpointDescription | undefined => {
    if (!Object.hasOwn(endpoints, alias)) return undefined
    let found = descriptions.get(alias)
    if (!found) descriptions.set(alias, (found = endpoints[alias]!.describe()))
    return found
  }
  const priced = Object.keys(prices).length > 0
  const priceOf = (alias: string, outcome: CallOutcome): Price | undefined => {
    const answered = (outcome as { alias?: unknown }).alias
    const answering = typeof answered === 'string' ? answered : sameEndpoint(descriptionOf(alias), outcome.endpoint) ? alias : undefined
    return (answering === undefined ? undefined : prices[answering]) ?? prices[outcome.endpoint.model] ?? prices[outcome.model]
  }
  const checkPriced = (budget: Budget, where: string) => {
    if (budget.cost === undefined) return
    const aliases = used.size > 0 ? [...used] : Object.keys(endpoints)
    const unpriced = aliases.filter((alias) => prices[alias] === undefined && prices[descriptionOf(alias)?.model ?? ''] === undefined)
    if (unpriced.length > 0) {
      const list = unpriced.map((alias) => `\`${alias}\` (model ${descriptionOf(alias)?.model ?? '?'})`).join(', ')
      throw new TypeError(`Expected \`prices\` in bind() for every alias ${module.constructor.name} calls, because \`budget.cost\` of ${where} is set; no price for ${list}. Add e.g. \`prices: { ${unpriced[0]}: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }\`.`)
    }
  }
  const pipelineBudgets: BudgetCheck[] = []
  if (options.budget !== undefined) {
    const budget = checkBudget(options.budget, 'bind()')
    checkPriced(budget, 'bind()')
    pipelineBudgets.push({ budget, ledger, scope: 'pipeline' })
  }

  /** What one call of run/record/batch/stream shares; throws a TypeError for a wrong option. */
  const scopeOf = (callOptions: RunOptions, scope: Exclude<BudgetScope, 'pipeline'>): CallScope => {
    if (callOptions === null || typeof callOptions !== 'object') throw new TypeError(`Expected the options of ${scope}() to be an object, got ${describe(callOptions)}.`)
    const store = callOptions.store === false ? undefined : callOptions.store === undefined ? pipelineStore : checkStore(callOptions.store, `${scope}()`)
    const { runId } = callOptions
    if (runId !== undefined) {
      if (typeof runId !== 'string' || runId === '') throw new TypeError(`Expected \`runId\` to be a non-empty string, got ${describe(runId)}.`)
      if (!store) throw new TypeError(`Expected a \`store\` with \`runId\` (it names the memo entries of resumable work), got none; pass e.g. \`store: fileStore('.plait/memo.jsonl')\`.`)
    }
    const ledgers = [ledger]
    if (callOptions.ledger !== undefined) {
      if (!(callOptions.ledger instanceof Ledger)) throw new TypeError(`Expected \`ledger\` of ${scope}() to be a Ledger (\`new Ledger()\`), got ${describe(callOptions.ledger)}.`)
      if (callOptions.ledger !== ledger) ledgers.push(callOptions.ledger)
    }
    const budgets = pipelineBudgets.slice()
    if (callOptions.budget !== undefined) {
      const budget = checkBudget(callOptions.budget, `${scope}()`)
      checkPriced(budget, `${scope}()`)
      const own = new Ledger({ maxRuns: 0 })
      ledgers.push(own)
      budgets.push({ budget, ledger: own, scope })
    }
    const { profile } = callOptions
    if (profile !== undefined && (typeof profile !== 'string' || profile === '')) throw new TypeError(`Expected \`profile\` to be a file path, got ${describe(profile)}.`)
    return { store, namespace: runId ?? '', ledgers, budgets, trace: profile === undefined ? undefined : createTraceRecorder() }
  }

  // OpenTelemetry is loaded once, on the first run, and only when asked for.
  const { telemetry } = options
  if (telemetry !== undefined && typeof telemetry !== 'boolean' && (telemetry === null || typeof telemetry !== 'object')) {
    throw new TypeError(`Expected \`telemetry\` to be a boolean or telemetry options, got ${describe(telemetry)}.`)
  }
  let otel: Promise<RunObserver> | undefined
  const telemetryObserver = () => (telemetry ? (otel ??= createOtelObserver(telemetry === true ? {} : telemetry)) : undefined)
  /** Observers of one run: the caller's onNode, the profile, telemetry. */
  const observersOf = async (runOptions: RunOptions, scope: CallScope): Promise<RunObserver | undefined> => {
    const { onNode } = runOptions
    const observers = [onNode ? { onNode } : undefined, scope.trace, await telemetryObserver()].filter((observer) => observer !== undefined)
    return observers.length === 0 ? undefined : observers.length === 1 ? observers[0] : combineObservers(...observers)
  }
  /** Writes the profile of a finished call, if one was asked for. */
  const writeProfile = async (runOptions: RunOptions, scope: CallScope) => {
    if (scope.trace && runOptions.profile) await scope.trace.write(runOptions.profile)
  }

  /**
   * The backend of one run: memo (when there is a store) around the ledger around the base. The
   * ledger's is made once per scope (each call says its run); a memo hit is recorded with a tag
   * of the run's own.
   */
  const backendFor = (scope: CallScope, index: number | undefined): { backend: Backend; tag: { run: number } | undefined } => {
    // Without prices no call is priced: no price lookups per call.
    const ledgered = (scope.backend ??= ledgerBackend(base, { ledgers: scope.ledgers, budgets: scope.budgets, priceOf: priced ? priceOf : undefined }))
    if (!scope.store) return { backend: ledgered, tag: undefined }
    const tag = { run: 0 }
    const backend = memoBackend(ledgered, {
      store: scope.store,
      describe: descriptionOf,
      namespace: scope.namespace,
      onHit: (alias, entry) => {
        const hit = { run: tag.run, alias, model: entry.model, status: 'cached' as const, promptTokens: 0, completionTokens: 0, cost: 0, priced: false }
        for (const target of scope.ledgers) target.add(index === undefined ? hit : { ...hit, index })
      },
    })
    return { backend, tag }
  }

  const execute = async (args: In, runOptions: RunOptions, keepTape: boolean, scope: CallScope, index: number | undefined) => {
    if (!Array.isArray(args)) throw new TypeError(`Expected \`args\` to be the array of forward()'s arguments, got ${describe(args)}.`)
    const { backend, tag } = backendFor(scope, index)
    // Nothing to observe (the usual case): no await, no observer.
    const observer = runOptions.onNode === undefined && scope.trace === undefined && !telemetry ? undefined : await observersOf(runOptions, scope)
    // Only what runModule reads, not `{ ...runOptions, observer, index }`: on V8 a spread followed by more properties is slow.
    return runModule(module, args, backend, { signal: runOptions.signal, onNode: runOptions.onNode, observer, index }, keepTape, scheduling, tag && ((run) => (tag.run = run.number)))
  }
  /** The scope of a run without options (the usual `await pipeline(...)`), made once: it never changes. */
  let plainScope: CallScope | undefined
  const single = async (args: In, runOptions: RunOptions, keepTape: boolean) => {
    const scope = runOptions === noOptions ? (plainScope ??= scopeOf(noOptions, 'run')) : scopeOf(runOptions, 'run')
    if (scope.store?.open) await scope.store.open()
    try {
      return await execute(args, runOptions, keepTape, scope, undefined)
    } finally {
      if (scope.trace) await writeProfile(runOptions, scope)
    }
  }
  const runOnce = async (args: In, runOptions: RunOptions = noOptions): Promise<Awaited<Out>> =>
    (await single(args, runOptions, runOptions.record ?? module.training)).value
  const settle = (args: In, index: number, runOptions: RunOptions, scope: CallScope): Promise<Settled<Awaited<Out>>> =>
    execute(args, runOptions, runOptions.record ?? module.training, scope, index).then(
      ({ value }) => ({ index, ok: true as const, value }),
      (error: unknown) => ({ index, ok: false as const, error }),
    )
  /** Checks the options of a batch or stream and prepares its scope, store and progress. */
  const prepare = async (inputs: Iterable<In>, manyOptions: BatchOptions, kind: 'batch' | 'stream') => {
    if (inputs === null || typeof inputs !== 'object' || typeof (inputs as Partial<Iterable<In>>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`Expected \`inputs\` of ${kind}() to be an iterable of argument arrays, got ${describe(inputs)}.`)
    }
    const list = [...inputs]
    const concurrency = concurrencyOf(manyOptions)
    checkProgressOptions(manyOptions)
    const scope = scopeOf(manyOptions, kind)
    await scope.store?.open?.()
    const progress = await trackProgress(list.length, { onProgress: manyOptions.onProgress, progressBar: manyOptions.progressBar })
    return { list, concurrency, scope, progress }
  }

  const pipeline = ((...args: In) => runOnce(args)) as Pipeline<In, Out>
  Object.defineProperties(pipeline, {
    module: { value: module, enumerable: true },
    endpoints: { value: endpoints, enumerable: true },
    ledger: { value: ledger, enumerable: true },
    run: { value: runOnce },
    record: {
      value: async (args: In, runOptions: RunOptions = {}) => {
        const { value, tape } = await single(args, runOptions, true)
        return { value, tape: tape! }
      },
    },
    batch: {
      value: async (inputs: Iterable<In>, batchOptions: BatchOptions = {}) => {
        const { list, concurrency, scope, progress } = await prepare(inputs, batchOptions, 'batch')
        const limit = await limiter(concurrency)
        const link = linkSignal(batchOptions.signal)
        try {
          return await Promise.all(list.map((args, index) => limit(() => tracked(progress, () => settle(args, index, { ...batchOptions, signal: link.signal }, scope)))))
        } finally {
          link.unlink()
          progress.stop()
          await writeProfile(batchOptions, scope)
        }
      },
    },
    stream: {
      value: (inputs: Iterable<In>, streamOptions: StreamOptions = {}) => {
        // Read the inputs now, as before; the rest (store, progress) waits for the first `next()`.
        const list = [...inputs]
        return streamItems(() => prepare(list, streamOptions, 'stream'), streamOptions, settle, writeProfile)
      },
    },
  })
  return pipeline
}

/**
 * A `p-limit` limiter, the package loaded on the first batch or stream: a static import would
 * resolve and load it with `import 'plait'` (≈ 7 ms of a cold start; most runs are plain calls).
 */
async function limiter(concurrency: number): Promise<LimitFunction> {
  // Kept once loaded: `import()` of a loaded module still takes a turn of the event loop.
  pLimit ??= (await import('p-limit')).default
  return pLimit(concurrency)
}
let pLimit: ((concurrency: number) => LimitFunction) | undefined

/** Runs one item with its start and end counted. */
function tracked<Out>(progress: ProgressTracker, item: () => Promise<Settled<Out>>): Promise<Settled<Out>> {
  progress.start()
  return item().then((settled) => {
    progress.settle(settled.ok)
    return settled
  })
}

function checkStore(value: unknown, where: string): MemoStore {
  if (!isMemoStore(value)) {
    throw new TypeError(`Expected \`store\` of ${where} to be a memo store (\`memoryStore()\`, \`fileStore(path)\`, \`sqliteStore(path)\`, or an object with \`get\` and \`set\`), got ${describe(value)}.`)
  }
  return value
}

function sameEndpoint(a: EndpointDescription | undefined, b: EndpointDescription): boolean {
  return a !== undefined && a.kind === b.kind && a.model === b.model && a.baseURL === b.baseURL
}

function concurrencyOf(options: BatchOptions): number {
  const { concurrency = Number.POSITIVE_INFINITY } = options
  if (concurrency !== Number.POSITIVE_INFINITY && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new TypeError(`Expected \`concurrency\` to be a positive integer, got ${describe(concurrency)}.`)
  }
  return concurrency
}

async function* streamItems<In, Out>(
  prepare: () => Promise<{ list: In[]; concurrency: number; scope: CallScope; progress: ProgressTracker }>,
  options: StreamOptions,
  settle: (args: In, index: number, options: RunOptions, scope: CallScope) => Promise<Settled<Out>>,
  writeProfile: (options: RunOptions, scope: CallScope) => Promise<void>,
): AsyncIterableIterator<Settled<Out>> {
  const { list: inputs, concurrency, scope, progress } = await prepare()
  const link = linkSignal(options.signal)
  const limit = await limiter(concurrency)
  const done: Array<Settled<Out>> = []
  let wake: (() => void) | undefined
  const items = inputs.map((args, index) =>
    limit(() => tracked(progress, () => settle(args, index, { ...options, signal: link.signal }, scope))).then((item) => {
      done.push(item)
      wake?.()
      return item
    }),
  )
  try {
    if (options.ordered) {
      for (const item of items) yield await item
      return
    }
    for (let yielded = 0; yielded < items.length; yielded++) {
      while (done.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      yield done.shift()!
    }
  } finally {
    link.unlink()
    link.abort(new DOMException('The stream was closed before every item settled.', 'AbortError'))
    // Nothing keeps running once the loop is left: wait for the aborted runs to stop.
    await Promise.all(items)
    progress.stop()
    await writeProfile(options, scope)
  }
}

/**
 * A signal of our own that follows `outer`, for the many runs of a batch or stream. It is owned
 * (`ownedController`): each run waits on it through `onAbort`'s set, not with a listener of its
 * own, and `outer` is followed the same way until `unlink()`.
 */
function linkSignal(outer: AbortSignal | undefined) {
  const controller = ownedController()
  const unlink = outer === undefined ? undefined : onAbort(outer, (reason) => abortOwned(controller, reason))
  return {
    signal: controller.signal,
    abort: (reason: unknown) => abortOwned(controller, reason),
    unlink: () => unlink?.(),
  }
}

export { modulePaths }

/**
 * One top-level run of `module` on `args`; with `keepTape`, the tape too (attached to object
 * outputs). `onRun` is told the run as soon as it exists, before any of its calls.
 */
export async function runModule<In extends unknown[], Out>(
  module: Module<In, Out>,
  args: In,
  backend: Backend,
  options: RunOptions & { observer?: RunObserver | undefined; index?: number | undefined },
  keepTape: boolean,
  scheduling: 'critical-path' | 'fifo' = 'critical-path',
  onRun?: (run: Run<PipelineServices>) => void,
): Promise<{ value: Awaited<Out>; tape: Tape | undefined }> {
  const { signal, observer, index } = options
  if (signal?.aborted) throw signal.reason
  const onNode = observer ? (record: NodeRecord) => observer.onNode(record) : options.onNode
  const run = new Run<PipelineServices>({ mode: 'execute', signal, onNode, scheduling, keepHistory: keepTape, index, services: { backend, tree: new ModuleTree(module) } })
  onRun?.(run)
  observer?.runStart?.(index === undefined ? { run: run.number, startedAt: run.startedAt, name: module.constructor.name } : { run: run.number, startedAt: run.startedAt, name: module.constructor.name, index })
  warnIfTraced(module)
  let output: Template
  try {
    // The root's forward() runs in module '' (where a run starts), so no `run.inModule('', ...)`.
    let returned = inRun(run, module.forward, () => run.build(() => module.forward(...args)))
    if (returned instanceof Promise) returned = await returned
    output = run.capture(returned)
  } catch (error) {
    run.abort(error)
    output = { kind: 'literal', value: undefined }
  }
  let value: Awaited<Out>
  try {
    value = (await run.finish(output)) as Awaited<Out>
  } catch (error) {
    observer?.runEnd?.({ run: run.number, endedAt: performance.now(), ok: false, error })
    throw error
  }
  observer?.runEnd?.({ run: run.number, endedAt: performance.now(), ok: true })
  if (!keepTape) return { value, tape: undefined }
  const tape = recordTape(run, output, value)
  attachTape(value, tape)
  return { value, tape }
}
