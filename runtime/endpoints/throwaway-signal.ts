/**
 * Throwaway signals for code that adds an abort listener per request and never removes it (the
 * `openai` SDK does). Given a caller's signal, such listeners would pile up on it for as long as
 * it lives (a run's signal: every call of the run; Node's `addEventListener` also scans the
 * listeners already there, so n requests would cost n² steps). A signal of its own per request
 * bounds that but costs an `AbortController` per request, which is most of what such an endpoint
 * adds to a request. So the requests of one caller signal share a throwaway signal, at most
 * {@link REQUESTS_PER_SIGNAL} of them: it aborts with the caller's reason, holds at most that
 * many stale listeners, and is let go once it is used up and its last request has settled.
 */
import { setMaxListeners } from 'node:events'
import { watchAbort, type AbortWatcher } from './abort.js'

/** How many requests share one throwaway signal. */
export const REQUESTS_PER_SIGNAL = 32

/**
 * One throwaway signal and the requests that have it. Call {@link ThrowawaySignal.release} once
 * per {@link throwawaySignal} when the request has settled.
 */
export class ThrowawaySignal implements AbortWatcher {
  // Fields set in the constructor, not by initializers (see RunNode in runtime/run.ts).
  declare readonly controller: AbortController
  /** Requests given this signal so far. */
  declare uses: number
  /** Requests given this signal that have not settled. */
  declare pending: number
  /** The caller signal's set of watchers while this signal follows it (see `watchAbort`). */
  declare following: Set<unknown> | undefined

  constructor(caller: AbortSignal) {
    this.controller = new AbortController()
    // Up to REQUESTS_PER_SIGNAL requests' listeners stay on it by design: no leak warning.
    setMaxListeners(0, this.controller.signal)
    this.uses = 0
    this.pending = 0
    // Set before watching: an already aborted caller calls `aborted()` at once.
    this.following = undefined
    this.following = watchAbort(caller, this)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  aborted(reason: unknown): void {
    this.following = undefined
    this.controller.abort(reason)
  }

  /** One request that had this signal has settled. */
  release(): void {
    if (--this.pending === 0 && this.uses >= REQUESTS_PER_SIGNAL) {
      // Used up and idle: stop following the caller's signal, so that nothing holds this one.
      this.following?.delete(this)
      this.following = undefined
    }
  }
}

const current = new WeakMap<AbortSignal, ThrowawaySignal>()

/**
 * A throwaway signal for one request under `caller`: the one its last requests had, or a new one
 * when that one is used up. Aborted (with the caller's reason) when `caller` aborts.
 *
 * @example
 * ```ts
 * const throwaway = throwawaySignal(run.signal)
 * try {
 *   await client.chat.completions.create(body, { signal: throwaway.signal })
 * } finally {
 *   throwaway.release()
 * }
 * ```
 */
export function throwawaySignal(caller: AbortSignal): ThrowawaySignal {
  let shared = current.get(caller)
  if (shared === undefined || shared.uses >= REQUESTS_PER_SIGNAL) {
    shared = new ThrowawaySignal(caller)
    current.set(caller, shared)
  }
  shared.uses++
  shared.pending++
  return shared
}
