/**
 * Counts the `abort` listeners added to each signal while `body` runs. Node's `addEventListener`
 * compares a new listener with every listener the signal already has, so n listeners on one
 * signal cost n² steps: shared signals (a batch's, a run's) must get one, not one per run or call.
 */

/**
 * The most `abort` listeners `body` added to any one `EventTarget`.
 *
 * @example
 * ```ts
 * expect(await mostAbortListenersOnOneSignal(() => pipeline.batch(inputs))).toBeLessThanOrEqual(1)
 * ```
 */
export async function mostAbortListenersOnOneSignal(body: () => Promise<unknown>): Promise<number> {
  const counts = new Map<EventTarget, number>()
  const original = EventTarget.prototype.addEventListener
  EventTarget.prototype.addEventListener = function (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) {
    if (args[0] === 'abort') counts.set(this, (counts.get(this) ?? 0) + 1)
    return original.apply(this, args)
  }
  try {
    await body()
  } finally {
    EventTarget.prototype.addEventListener = original
  }
  return Math.max(0, ...counts.values())
}
