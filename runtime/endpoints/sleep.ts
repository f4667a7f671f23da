import { onAbort } from './abort.js'

/** The longest delay `setTimeout` accepts (about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647

/**
 * Waits `ms` milliseconds, or rejects with the signal's reason as soon as `signal` aborts (the
 * timer is cleared, so nothing is left running). `ms <= 0` resolves without a timer.
 *
 * @example
 * ```ts
 * await sleep(250, signal)
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason)
  if (!(ms > 0)) return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      resolve()
    }, Math.min(ms, MAX_TIMEOUT_MS))
    const stop = onAbort(signal, (reason) => {
      clearTimeout(timer)
      reject(reason)
    })
  })
}

/**
 * Never resolves; rejects with the signal's reason when `signal` aborts. Holds no timer, so a
 * hung request does not keep the process alive on its own.
 *
 * @example
 * ```ts
 * await untilAborted(signal) // a simulated server that never answers
 * ```
 */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    onAbort(signal, reject)
  })
}
