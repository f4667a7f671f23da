/**
 * The contract between runs and observers (profilers, telemetry): what a run tells them and when.
 * A run reports every node through `onNode` (see `NodeRecord`); `runStart` and `runEnd` frame the
 * run, so observers know its exact start on the process clock, its end and its outcome.
 */
import type { NodeRecord } from '../run.js'

/** What an observer is told when a run starts, before any of its nodes settles. */
export interface RunStartInfo {
  /** `Run.number`: the `run` of every `NodeRecord` of this run. */
  run: number
  /** `Run.startedAt`: when the run started, in `performance.now()` milliseconds. */
  startedAt: number
  /** What runs: the root module's class name (`'ExtractAndCompare'`). */
  name?: string
  /** The item's position in `batch()` or `stream()` input. */
  index?: number
}

/** What an observer is told when a run has settled: every node has reported. */
export interface RunEndInfo {
  run: number
  /** When the run settled, in `performance.now()` milliseconds. */
  endedAt: number
  ok: boolean
  /** The run's failure when `ok` is false. */
  error?: unknown
}

/**
 * Something that watches runs. `onNode` alone is enough to plug into `RunOptions.onNode`; the run
 * hooks make times exact and let observers frame each run (a run slice, a parent span).
 *
 * @example
 * ```ts
 * const observer: RunObserver = {
 *   runStart: ({ run, name }) => console.log(`run ${run} of ${name} started`),
 *   onNode: (record) => console.log(record.id, record.state, record.endMs),
 *   runEnd: ({ run, ok }) => console.log(`run ${run} ${ok ? 'succeeded' : 'failed'}`),
 * }
 * ```
 */
export interface RunObserver {
  runStart?(info: RunStartInfo): void
  onNode(record: NodeRecord): void
  runEnd?(info: RunEndInfo): void
}

/**
 * One observer that tells every given observer (skipping `undefined`), in order. A throwing observer
 * does not stop the others: its error is rethrown in a microtask, as the run does for `onNode`.
 *
 * @example
 * ```ts
 * const trace = createTraceRecorder()
 * const observer = combineObservers(trace, { onNode: (record) => console.log(record.id) })
 * await pipeline.run([doc], { onNode: observer.onNode })
 * ```
 */
export function combineObservers(...observers: Array<RunObserver | undefined>): RunObserver {
  const present = observers.filter((observer): observer is RunObserver => observer !== undefined)
  const each = (call: (observer: RunObserver) => void) => {
    for (const observer of present) {
      try {
        call(observer)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
  return {
    runStart: (info) => each((observer) => observer.runStart?.(info)),
    onNode: (record) => each((observer) => observer.onNode(record)),
    runEnd: (info) => each((observer) => observer.runEnd?.(info)),
  }
}
