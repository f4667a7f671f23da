import PQueue from 'p-queue'
import type {
  CompleteOptions,
  CompletionRequest,
  CompletionResult,
  Endpoint,
  EndpointDescription,
} from '../endpoint.js'
import { onAbort } from './abort.js'
import { displayURL } from './redact.js'
import { show } from './show.js'

/**
 * Options of {@link defineEndpoint}.
 *
 * @example
 * ```ts
 * const options: DefineEndpointOptions = {
 *   kind: 'echo',
 *   model: 'echo-1',
 *   complete: async (request) => ({ text: request.messages.at(-1)?.content ?? '', model: 'echo-1' }),
 * }
 * ```
 */
export interface DefineEndpointOptions {
  /** What kind of endpoint this is, shown in graphs and errors (`'openai'`, `'echo'`, ...). */
  kind: string
  /** The model it answers with, shown in graphs and errors. */
  model: string
  /** Most requests in flight at once, across every run sharing this endpoint object. Default 8. */
  maxConcurrent?: number
  /** Where requests go, for display only; credentials and query are stripped. */
  baseURL?: string
  /** Sends one request; must stop when `options.signal` aborts. */
  complete: (request: CompletionRequest, options: CompleteOptions) => Promise<CompletionResult>
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/**
 * Makes an endpoint from a `complete` function. The endpoint owns a limiter (a `p-queue`) that
 * every run, batch item and pipeline sharing the object goes through:
 * - at most `maxConcurrent` scheduled tasks run at once; higher `priority` starts first, then FIFO;
 * - a task whose signal aborts while queued leaves the queue, and its promise rejects with the
 *   signal's reason;
 * - a task whose signal aborts while running: the promise rejects at once with the reason, but the
 *   task keeps its slot until it settles, so `maxConcurrent` bounds the work really in flight.
 *
 * The object shows only `describe()` when printed, inspected or turned into JSON.
 *
 * @example
 * ```ts
 * import { defineEndpoint } from 'plait/endpoints'
 * const echo = defineEndpoint({
 *   kind: 'echo',
 *   model: 'echo-1',
 *   maxConcurrent: 4,
 *   complete: async (request) => ({ text: request.messages.at(-1)?.content ?? '', model: 'echo-1' }),
 * })
 * ```
 */
export function defineEndpoint(options: DefineEndpointOptions): Endpoint {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` of defineEndpoint() to be an object, got ${options === null ? 'null' : typeof options}`)
  }
  const { kind, model, maxConcurrent = 8, baseURL, complete } = options
  if (typeof kind !== 'string' || kind.trim() === '') {
    throw new TypeError(`Expected \`kind\` to be a non-empty string, got ${show(kind)}`)
  }
  if (typeof model !== 'string' || model.trim() === '') {
    throw new TypeError(`Expected \`model\` of the ${kind} endpoint to be a non-empty string, got ${show(model)}`)
  }
  const label = `${kind} endpoint "${model}"`
  if (typeof maxConcurrent !== 'number' || !Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new TypeError(`Expected \`maxConcurrent\` of the ${label} to be a positive integer, got ${show(maxConcurrent)}`)
  }
  if (baseURL !== undefined && typeof baseURL !== 'string') {
    throw new TypeError(`Expected \`baseURL\` of the ${label} to be a string, got ${show(baseURL)}`)
  }
  if (typeof complete !== 'function') {
    throw new TypeError(`Expected \`complete\` of the ${label} to be a function, got ${show(complete)}`)
  }

  const description: EndpointDescription = baseURL === undefined ? { kind, model } : { kind, model, baseURL: displayURL(baseURL) }
  const queue = new PQueue({ concurrency: maxConcurrent })
  const limits = Object.freeze({ maxConcurrent })

  const endpoint: Endpoint = {
    isPlaitEndpoint: true,
    limits,
    describe: () => ({ ...description }),
    async complete(request, callOptions) {
      const result = await complete(request, callOptions)
      if (typeof result !== 'object' || result === null || typeof result.text !== 'string' || typeof result.model !== 'string') {
        throw new TypeError(`Expected \`complete\` of the ${label} to resolve to { text: string, model: string }, got ${show(result)}`)
      }
      return result
    },
    schedule<T>(task: () => Promise<T>, scheduleOptions: { signal: AbortSignal; priority?: number }): Promise<T> {
      const signal = scheduleOptions?.signal
      if (!(signal instanceof AbortSignal)) {
        return Promise.reject(new TypeError(`Expected \`options.signal\` of ${label}.schedule() to be an AbortSignal, got ${show(signal)}`))
      }
      const priority = scheduleOptions.priority
      if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) {
        return Promise.reject(new TypeError(`Expected \`options.priority\` of ${label}.schedule() to be a finite number, got ${show(priority)}`))
      }
      if (typeof task !== 'function') {
        return Promise.reject(new TypeError(`Expected \`task\` of ${label}.schedule() to be a function, got ${show(task)}`))
      }
      if (signal.aborted) return Promise.reject(signal.reason)
      if (queue.size === 0 && queue.pending < maxConcurrent && !queue.isPaused) {
        // A free slot: p-queue starts the task synchronously inside add(), so there is no queued
        // phase to abort and no need for a queue signal. Once running, the slot is held until the
        // task settles; an abort rejects the caller at once.
        return new Promise<T>((resolve, reject) => {
          const stop = onAbort(signal, reject)
          queue.add(task, priority === undefined ? {} : { priority }).then(
            (value) => {
              stop()
              resolve(value)
            },
            (error: unknown) => {
              stop()
              reject(error)
            },
          )
        })
      }
      return new Promise<T>((resolve, reject) => {
        // p-queue 9 removes a queued task when the signal passed to `add` aborts, and rejects with
        // its reason. It also races a *running* task against that signal and frees the slot as soon
        // as it aborts, while the task may still be running. So `add` gets a signal that aborts
        // only while the task waits; once running, the slot is held until the task settles.
        const whileQueued = new AbortController()
        let started = false
        const stop = onAbort(signal, (reason) => {
          if (started) reject(reason)
          else whileQueued.abort(reason)
        })
        const run = async (): Promise<T> => {
          started = true
          return task()
        }
        queue.add(run, priority === undefined ? { signal: whileQueued.signal } : { signal: whileQueued.signal, priority }).then(
          (value) => {
            stop()
            resolve(value)
          },
          (error: unknown) => {
            stop()
            reject(error)
          },
        )
      })
    },
    get load() {
      return { inFlight: queue.pending, queued: queue.size }
    },
  }

  Object.defineProperties(endpoint, {
    toJSON: { value: () => endpoint.describe() },
    toString: { value: () => `Endpoint(${kind}:${model})` },
    [inspectSymbol]: {
      value: (_depth: number, inspectOptions: unknown, inspect?: (value: unknown, options?: unknown) => string) => {
        const shown = { ...endpoint.describe(), maxConcurrent, load: endpoint.load }
        return `Endpoint ${inspect === undefined ? JSON.stringify(shown) : inspect(shown, inspectOptions)}`
      },
    },
  })
  return endpoint
}
