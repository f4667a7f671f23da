/**
 * Bound pipelines: a module with endpoints, callable like a function, with `run`, `batch` and
 * `stream`. Each call is one run; runs share the endpoint objects, and so their limits.
 */
import { setMaxListeners } from 'node:events'
import pLimit from 'p-limit'
import { inProcessBackend, type Backend } from '../runtime/backend.js'
import { inRun } from '../runtime/context.js'
import type { Endpoint } from '../runtime/endpoint.js'
import { PlaitError } from '../runtime/errors.js'
import { Run, type NodeRecord, type Template } from '../runtime/run.js'
import { attachTape, recordTape, type Tape } from '../runtime/tape.js'
import type { Module } from './module.js'
import { describe } from './parameter.js'
import type { PipelineServices } from './services.js'

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
  for (const [path, child] of module.namedModules()) {
    const alias = (child as { alias?: unknown }).alias
    if (typeof alias === 'string' && !Object.hasOwn(endpoints, alias)) missing.set(alias, [...(missing.get(alias) ?? []), path || '(root)'])
  }
  if (missing.size > 0) {
    const list = [...missing].map(([alias, paths]) => `\`${alias}\` (used by ${paths.join(', ')})`).join(', ')
    throw new PlaitError(`Expected an endpoint for every alias ${module.constructor.name} uses; missing: ${list}. Bound: ${Object.keys(endpoints).join(', ') || 'none'}.`)
  }
  const backend = options.backend ?? inProcessBackend(endpoints)
  const { scheduling = 'critical-path' } = options
  if (scheduling !== 'critical-path' && scheduling !== 'fifo') throw new TypeError(`Expected \`scheduling\` to be 'critical-path' or 'fifo', got ${describe(scheduling)}.`)

  const start = (args: In, runOptions: RunOptions, keepTape: boolean) => {
    if (!Array.isArray(args)) return Promise.reject(new TypeError(`Expected \`args\` to be the array of forward()'s arguments, got ${describe(args)}.`))
    return runModule(module, args, backend, runOptions, keepTape, scheduling)
  }
  const runOnce = async (args: In, runOptions: RunOptions = {}): Promise<Awaited<Out>> =>
    (await start(args, runOptions, runOptions.record ?? module.training)).value
  const settle = (args: In, index: number, runOptions: RunOptions): Promise<Settled<Awaited<Out>>> =>
    runOnce(args, runOptions).then(
      (value) => ({ index, ok: true as const, value }),
      (error: unknown) => ({ index, ok: false as const, error }),
    )

  const pipeline = ((...args: In) => runOnce(args)) as Pipeline<In, Out>
  Object.defineProperties(pipeline, {
    module: { value: module, enumerable: true },
    endpoints: { value: endpoints, enumerable: true },
    run: { value: runOnce },
    record: {
      value: async (args: In, runOptions: RunOptions = {}) => {
        const { value, tape } = await start(args, runOptions, true)
        return { value, tape: tape! }
      },
    },
    batch: {
      value: async (inputs: Iterable<In>, batchOptions: BatchOptions = {}) => {
        const limit = pLimit(concurrencyOf(batchOptions))
        const link = linkSignal(batchOptions.signal)
        try {
          return await Promise.all([...inputs].map((args, index) => limit(() => settle(args, index, { ...batchOptions, signal: link.signal }))))
        } finally {
          link.unlink()
        }
      },
    },
    stream: {
      value: (inputs: Iterable<In>, streamOptions: StreamOptions = {}) => streamItems([...inputs], streamOptions, settle),
    },
  })
  return pipeline
}

function concurrencyOf(options: BatchOptions): number {
  const { concurrency = Number.POSITIVE_INFINITY } = options
  if (concurrency !== Number.POSITIVE_INFINITY && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new TypeError(`Expected \`concurrency\` to be a positive integer, got ${describe(concurrency)}.`)
  }
  return concurrency
}

async function* streamItems<In, Out>(
  inputs: In[],
  options: StreamOptions,
  settle: (args: In, index: number, options: RunOptions) => Promise<Settled<Out>>,
): AsyncIterableIterator<Settled<Out>> {
  const link = linkSignal(options.signal)
  const limit = pLimit(concurrencyOf(options))
  const done: Array<Settled<Out>> = []
  let wake: (() => void) | undefined
  const items = inputs.map((args, index) =>
    limit(() => settle(args, index, { ...options, signal: link.signal })).then((item) => {
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
  }
}

/**
 * A signal of our own that follows `outer`, for the many runs of a batch or stream: they listen
 * to it, so `outer` gets one listener, removed by `unlink()`.
 */
function linkSignal(outer: AbortSignal | undefined) {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  const onAbort = () => controller.abort(outer!.reason)
  if (outer?.aborted) onAbort()
  else outer?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    abort: (reason: unknown) => controller.abort(reason),
    unlink: () => outer?.removeEventListener('abort', onAbort),
  }
}

/** Paths of every module of the tree rooted at `root`. */
export function modulePaths(root: Module): Map<Module, string> {
  return new Map([...root.namedModules()].map(([path, module]) => [module, path]))
}

/** One top-level run of `module` on `args`; with `keepTape`, the tape too (attached to object outputs). */
export async function runModule<In extends unknown[], Out>(
  module: Module<In, Out>,
  args: In,
  backend: Backend,
  options: RunOptions,
  keepTape: boolean,
  scheduling: 'critical-path' | 'fifo' = 'critical-path',
): Promise<{ value: Awaited<Out>; tape: Tape | undefined }> {
  const { signal, onNode } = options
  if (signal?.aborted) throw signal.reason
  const run = new Run<PipelineServices>({ mode: 'execute', signal, onNode, scheduling, services: { backend, paths: modulePaths(module) } })
  let output: Template
  try {
    let returned = inRun(run, module.forward, () => run.build(() => run.inModule('', () => module.forward(...args))))
    if (returned instanceof Promise) returned = await returned
    output = run.capture(returned)
  } catch (error) {
    run.abort(error)
    output = { kind: 'literal', value: undefined }
  }
  const value = (await run.finish(output)) as Awaited<Out>
  if (!keepTape) return { value, tape: undefined }
  const tape = recordTape(run, output, value)
  attachTape(value, tape)
  return { value, tape }
}
