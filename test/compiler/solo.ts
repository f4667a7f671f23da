/**
 * The sequential reference of a module call inside a `try` block: the call runs as a run of its
 * own (with the services of the current run), so that its failure rejects only this call, as a
 * failed `await` would in plain sequential code, instead of failing the whole run.
 */
import { currentRun, inRun } from '../../runtime/context.js'
import { Run } from '../../runtime/run.js'

/**
 * Runs `call` (a module call) in a run of its own and gives its resolved value.
 *
 * @example
 * ```ts
 * // in the sequential reference: try { draft = await solo(async () => this.flaky(topic)) } catch { ... }
 * const draft = await solo(async () => this.flaky(topic))
 * ```
 */
export async function solo(call: () => Promise<unknown>): Promise<unknown> {
  const outer = currentRun()
  if (!outer) throw new Error('Expected `solo` to be called inside a run (a sequential reference of forward()).')
  const run = new Run({ mode: 'execute', services: outer.services, signal: outer.signal })
  // The call's arguments may await other calls (`this.a(await solo(...))`): the whole function runs in the new run.
  const value = await inRun(run, call, () => run.build(call))
  return run.finish(run.capture(value))
}
