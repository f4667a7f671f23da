/**
 * Which run a module call belongs to. `forward()` runs inside `AsyncLocalStorage` so that calls
 * after a user `await` still find their run; node functions that run later (a `.map()` callback on
 * a resolved array) find it through the run that is executing them.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Run } from './run.js'

const storage = new AsyncLocalStorage<Run>()
let executing: Run | undefined

/**
 * The run the current code belongs to, if any.
 *
 * @example
 * ```ts
 * const run = currentRun()
 * if (!run) throw new Error('not inside forward()')
 * ```
 */
export function currentRun(): Run | undefined {
  return executing ?? storage.getStore()
}

/** Runs `body` as part of `run` (used around `forward()`). */
export function withRun<T>(run: Run, body: () => T): T {
  return storage.run(run, body)
}

/** Runs a node function synchronously as part of `run`; cheaper than `withRun` on the hot path. */
export function executingIn<T>(run: Run, body: () => T): T {
  const previous = executing
  executing = run
  try {
    return body()
  } finally {
    executing = previous
  }
}
