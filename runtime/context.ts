/**
 * Which run a module call belongs to. A synchronous `forward()` (and a node function that runs
 * later, such as a `.map()` callback on a resolved array) finds it in a plain variable set around
 * the call. An `async forward()` runs inside `AsyncLocalStorage`, so that calls after a user
 * `await` still find their run; only then, since on Node 20 an active AsyncLocalStorage slows
 * every promise of the process.
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

/**
 * Runs `forward` as part of `run`: through AsyncLocalStorage when it is an async function.
 *
 * @example
 * ```ts
 * const output = inRun(run, module.forward, () => module.forward(...args))
 * ```
 */
export function inRun<T>(run: Run, forward: Function, body: () => T): T {
  return isAsyncFunction(forward) ? storage.run(run, body) : executingIn(run, body)
}

/** Whether `value` was declared `async` (native async functions only). */
export function isAsyncFunction(value: unknown): boolean {
  return typeof value === 'function' && value.constructor?.name === 'AsyncFunction'
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

/**
 * Marks `run` as the run of the code about to execute and returns the run it replaces, for
 * `leaveRun`: the closure-free form of `executingIn` for the runtime's hot path.
 *
 * @example
 * ```ts
 * const previous = enterRun(run)
 * try {
 *   node.spec.execute(values, context)
 * } finally {
 *   leaveRun(previous)
 * }
 * ```
 */
export function enterRun(run: Run): Run | undefined {
  const previous = executing
  executing = run
  return previous
}

/** Restores the run that `enterRun` replaced. */
export function leaveRun(previous: Run | undefined): void {
  executing = previous
}
