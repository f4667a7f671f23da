/**
 * Abort helpers shared by the endpoints. A run-level `AbortSignal` is shared by thousands of calls;
 * adding one `abort` listener per call makes Node warn about a leak (more than 10 listeners) and
 * keeps every callback alive until the signal aborts. These helpers add one real listener per
 * signal and keep the waiting callbacks in a set that callers leave when they are done.
 */

type AbortCallback = (reason: unknown) => void

/** An object told of an abort through its method, so that waiting needs no closure (see `watchAbort`). */
export interface AbortWatcher {
  aborted(reason: unknown): void
}

const waiting = new WeakMap<AbortSignal, Set<AbortCallback | AbortWatcher>>()

/** Where the signal of an {@link ownedController} keeps its waiters: `null` until one waits. */
const ownWaiters = Symbol('plait.ownWaiters')
type OwnedSignal = AbortSignal & { [ownWaiters]?: Set<AbortCallback | AbortWatcher> | null }

const noop = (): void => {}

/**
 * Calls `callback` with the signal's reason once `signal` aborts (at once if it already has).
 * Returns a function that stops waiting; call it when the work is done.
 *
 * @example
 * ```ts
 * const stop = onAbort(signal, (reason) => controller.abort(reason))
 * try { await work(controller.signal) } finally { stop() }
 * ```
 */
export function onAbort(signal: AbortSignal, callback: AbortCallback): () => void {
  if (signal.aborted) {
    callback(signal.reason)
    return noop
  }
  const set = waitersOf(signal)
  set.add(callback)
  return () => {
    set.delete(callback)
  }
}

/**
 * The closure-free form of `onAbort` for hot paths: `watcher.aborted(reason)` is called once
 * `signal` aborts. Returns the set to leave (`set.delete(watcher)`) when the work is done, or
 * `undefined` when the signal had already aborted (then `aborted` has been called).
 *
 * @example
 * ```ts
 * const watching = watchAbort(signal, request)
 * // ... later, when the request has settled:
 * watching?.delete(request)
 * ```
 */
export function watchAbort(signal: AbortSignal, watcher: AbortWatcher): Set<unknown> | undefined {
  if (signal.aborted) {
    watcher.aborted(signal.reason)
    return undefined
  }
  const set = waitersOf(signal)
  set.add(watcher)
  return set
}

/**
 * An `AbortController` whose waiters (`onAbort`, `watchAbort`) need no `abort` listener on its
 * signal: adding the first listener to a signal costs more than the rest of a small run's start
 * on Node (≈ 30 µs cold). Abort it with {@link abortOwned} only: `controller.abort()` alone would
 * not tell them. Other listeners of its signal work as usual.
 *
 * @example
 * ```ts
 * const controller = ownedController()
 * onAbort(controller.signal, (reason) => console.log('stopped', reason))
 * abortOwned(controller, new Error('cancelled'))
 * ```
 */
export function ownedController(): AbortController {
  const controller = new AbortController()
  // Marked on the signal itself: `waitersOf` then never adds a listener for it. Not an entry in
  // `waiting`: right after a garbage collection, a new WeakMap entry costs ≈ 40 µs (bench/README.md).
  ;(controller.signal as OwnedSignal)[ownWaiters] = null
  return controller
}

/** Aborts an {@link ownedController} with `reason` and tells its waiters. */
export function abortOwned(controller: AbortController, reason: unknown): void {
  if (controller.signal.aborted) return
  controller.abort(reason)
  notify(controller.signal)
}

/** The callbacks waiting for `signal`, with its one real listener added on first use (an owned signal has its set already). */
function waitersOf(signal: AbortSignal): Set<AbortCallback | AbortWatcher> {
  const owned = (signal as OwnedSignal)[ownWaiters]
  if (owned !== undefined) return owned ?? ((signal as OwnedSignal)[ownWaiters] = new Set())
  let callbacks = waiting.get(signal)
  if (callbacks === undefined) {
    callbacks = new Set<AbortCallback | AbortWatcher>()
    waiting.set(signal, callbacks)
    signal.addEventListener('abort', () => notify(signal), { once: true })
  }
  return callbacks
}

/** Tells the waiters of an aborted `signal`, once. */
function notify(signal: AbortSignal): void {
  const owned = (signal as OwnedSignal)[ownWaiters]
  let callbacks: Set<AbortCallback | AbortWatcher> | undefined
  if (owned !== undefined) {
    callbacks = owned ?? undefined
    ;(signal as OwnedSignal)[ownWaiters] = null
  } else {
    callbacks = waiting.get(signal)
    waiting.delete(signal)
  }
  if (callbacks === undefined) return
  const reason: unknown = signal.reason
  for (const each of callbacks) {
    if (typeof each === 'function') each(reason)
    else each.aborted(reason)
  }
  callbacks.clear()
}
