/**
 * Abort helpers shared by the endpoints. A run-level `AbortSignal` is shared by thousands of calls;
 * adding one `abort` listener per call makes Node warn about a leak (more than 10 listeners) and
 * keeps every callback alive until the signal aborts. These helpers add one real listener per
 * signal and keep the waiting callbacks in a set that callers leave when they are done.
 */

type AbortCallback = (reason: unknown) => void

const waiting = new WeakMap<AbortSignal, Set<AbortCallback>>()

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
  let callbacks = waiting.get(signal)
  if (callbacks === undefined) {
    const created = new Set<AbortCallback>()
    callbacks = created
    waiting.set(signal, created)
    signal.addEventListener(
      'abort',
      () => {
        waiting.delete(signal)
        for (const each of created) each(signal.reason)
        created.clear()
      },
      { once: true },
    )
  }
  const set = callbacks
  set.add(callback)
  return () => {
    set.delete(callback)
  }
}

/**
 * A signal that aborts when `signal` aborts, with the same reason, for handing to code that adds
 * listeners and never removes them (the `openai` SDK does). Call `release()` when the work is done.
 *
 * @example
 * ```ts
 * const child = childSignal(signal)
 * try { await client.chat.completions.create(body, { signal: child.signal }) } finally { child.release() }
 * ```
 */
export function childSignal(signal: AbortSignal): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController()
  const release = onAbort(signal, (reason) => controller.abort(reason))
  return { signal: controller.signal, release }
}
