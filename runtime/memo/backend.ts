/**
 * `memoBackend`: a Backend wrapper that answers leaf calls from a memo store when it can, and
 * stores each successful reply before handing it on.
 */
import type { Backend, CallOutcome } from '../backend.js'
import type { EndpointDescription } from '../endpoint.js'
import { onAbort } from '../endpoints/abort.js'
import { memoKey } from './key.js'
import { copyEntry, type MemoEntry, type MemoStore } from './store.js'

/**
 * Options of {@link memoBackend}.
 *
 * @example
 * ```ts
 * const options: MemoBackendOptions = { store: memoryStore(), describe: (alias) => endpoints[alias]?.describe() }
 * ```
 */
export interface MemoBackendOptions {
  store: MemoStore
  /**
   * The endpoint of an alias as `endpoint.describe()` gives it: part of every key, so another model
   * or server never answers from this one's entries. `undefined`: calls of the alias pass through.
   */
  describe: (alias: string) => EndpointDescription | undefined
  /** Keeps the keys of unrelated work apart (a batch's `runId`). Default `''`: shared by all. */
  namespace?: string
  /** Told about every call answered from the store (or from an identical call in flight). */
  onHit?: (alias: string, entry: MemoEntry, key: string) => void
}

/** Calls in flight per store and key, shared by every memo backend of the process. */
const inFlight = new WeakMap<MemoStore, Map<string, Promise<MemoEntry | undefined>>>()
/** Stores that already warned about a failed write. */
const warned = new WeakSet<MemoStore>()

/**
 * Wraps `inner` so that each call is first looked up in `options.store` by its {@link memoKey};
 * a miss goes to `inner`, and a successful reply is stored before it is returned, so no reply a run
 * used is missing from the store after a crash. Failed calls are never stored.
 *
 * - One memo backend belongs to one run: the k-th identical request of the run gets occurrence k in
 *   its key, so a forward() that samples the same prompt three times keeps three entries.
 * - Identical calls of different runs (a batch with repeated inputs) share one entry; while one is
 *   in flight, the others wait for it instead of asking the endpoint again.
 * - A hit returns the stored text and model, with no usage (it cost nothing) and `queuedMs: 0`.
 * - A store that fails to save warns once (`process.emitWarning`, code `PLAIT_MEMO_STORE`); the
 *   reply is still returned.
 *
 * @example
 * ```ts
 * const backend = memoBackend(inProcessBackend(endpoints), {
 *   store: fileStore('.plait/memo.jsonl'),
 *   describe: (alias) => endpoints[alias]?.describe(),
 *   namespace: 'nightly-eval',
 * })
 * ```
 */
export function memoBackend(inner: Backend, options: MemoBackendOptions): Backend {
  const { store, describe, namespace = '', onHit } = options
  const occurrences = new Map<string, number>()
  let flights = inFlight.get(store)
  if (!flights) inFlight.set(store, (flights = new Map()))
  const calls = flights

  const hit = (alias: string, entry: MemoEntry, key: string, endpoint: EndpointDescription): CallOutcome => {
    onHit?.(alias, entry, key)
    return { text: entry.text, model: entry.model, endpoint, queuedMs: 0 }
  }

  return {
    async complete(alias, request, callOptions) {
      const endpoint = describe(alias)
      if (!endpoint) return inner.complete(alias, request, callOptions)
      const { signal } = callOptions
      const base = memoKey({ endpoint, request, namespace })
      const occurrence = occurrences.get(base) ?? 0
      occurrences.set(base, occurrence + 1)
      const key = occurrence === 0 ? base : memoKey({ endpoint, request, namespace, occurrence })
      for (;;) {
        signal.throwIfAborted()
        const stored = await store.get(key)
        if (stored) return hit(alias, stored, key, endpoint)
        const pending = calls.get(key)
        if (pending) {
          const shared = await untilAborted(pending, signal)
          if (shared) return hit(alias, shared, key, endpoint)
          // The call we waited for failed: try again, as the caller of our own.
          continue
        }
        let settle!: (entry: MemoEntry | undefined) => void
        calls.set(key, new Promise((resolve) => (settle = resolve)))
        let entry: MemoEntry | undefined
        try {
          const outcome = await inner.complete(alias, request, callOptions)
          entry = { text: outcome.text, model: outcome.model }
          if (outcome.usage) entry.usage = outcome.usage
          try {
            await store.set(key, copyEntry(entry))
          } catch (error) {
            if (!warned.has(store)) {
              warned.add(store)
              process.emitWarning(
                `Could not save a reply in the ${store.kind} memo store (${error instanceof Error ? error.message : String(error)}); replies that are not saved are asked again by a re-run.`,
                { code: 'PLAIT_MEMO_STORE' },
              )
            }
          }
          return outcome
        } finally {
          calls.delete(key)
          settle(entry)
        }
      }
    },
  }
}

/** `promise`, or a rejection with the signal's reason when it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    // Through `onAbort`'s set: the run's signal is shared by all its calls (see Run).
    const stop = onAbort(signal, reject)
    promise.then(
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
