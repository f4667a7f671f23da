/**
 * Progress of a batch or stream: counts for an `onProgress` callback, and a progress bar on a
 * terminal (drawn by the `cli-progress` package, loaded only when a bar is shown).
 */
import { show } from './endpoints/show.js'

/**
 * Where a batch stands. Every report has `done + failed + inFlight <= total`.
 *
 * @example
 * ```ts
 * await pipeline.batch(inputs, { onProgress: ({ done, failed, total, etaMs }) => console.log(`${done + failed}/${total}`, etaMs) })
 * ```
 */
export interface Progress {
  /** Items in the input. */
  total: number
  /** Items that settled with a value. */
  done: number
  /** Items that settled with an error. */
  failed: number
  /** Items running now. */
  inFlight: number
  /** Milliseconds since the batch started. */
  elapsedMs: number
  /** Items settled per second so far. */
  rate: number
  /** Estimated milliseconds until every item has settled; `undefined` until one has. */
  etaMs: number | undefined
}

/**
 * Where a forced progress bar is drawn.
 *
 * @example
 * ```ts
 * await pipeline.batch(inputs, { progressBar: { stream: process.stdout } })
 * ```
 */
export interface ProgressBarStream {
  write(chunk: string): unknown
  isTTY?: boolean
  columns?: number
}

/**
 * Options of the progress bar: `true`/`false` force it on or off; an object forces it on, drawn on `stream`.
 *
 * @example
 * ```ts
 * await pipeline.batch(inputs, { progressBar: false })
 * ```
 */
export type ProgressBarOption = boolean | { stream?: ProgressBarStream }

/**
 * Whether a batch draws a progress bar. By default: when `stream` (stderr) is a terminal and the
 * `CI` environment variable is not set (set means any value but `''`, `'0'` or `'false'`). An
 * explicit `true` or `{ stream }` turns it on anywhere (off a terminal, a line every few seconds);
 * `false` turns it off.
 *
 * @example
 * ```ts
 * progressBarEnabled(undefined, { CI: 'true' }, process.stderr) // false
 * progressBarEnabled(true, { CI: 'true' }, process.stderr) // true
 * ```
 */
export function progressBarEnabled(option: ProgressBarOption | undefined, env: Readonly<Record<string, string | undefined>> = process.env, stream: ProgressBarStream = process.stderr): boolean {
  if (option === false) return false
  if (option === true || (option !== undefined && typeof option === 'object')) return true
  return stream.isTTY === true && !isCI(env)
}

/** Whether `env` says this is a CI run. */
export function isCI(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.CI
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

/** Checks the `onProgress` and `progressBar` options. */
export function checkProgressOptions(options: { onProgress?: unknown; progressBar?: unknown }): void {
  const { onProgress, progressBar } = options
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`Expected \`onProgress\` to be a function, got ${show(onProgress)}.`)
  if (progressBar === undefined || typeof progressBar === 'boolean') return
  const stream = progressBar !== null && typeof progressBar === 'object' ? (progressBar as { stream?: unknown }).stream : undefined
  if (progressBar === null || typeof progressBar !== 'object' || (stream !== undefined && typeof (stream as { write?: unknown } | null)?.write !== 'function')) {
    throw new TypeError(`Expected \`progressBar\` to be true, false or \`{ stream }\` (a writable with \`write()\`), got ${show(progressBar)}.`)
  }
}

/** Counts the items of one batch or stream and reports them. */
export interface ProgressTracker {
  /** An item started. */
  start(): void
  /** An item settled. */
  settle(ok: boolean): void
  /** The batch is over (or was left): draws the bar a last time and removes it. */
  stop(): void
  /** The counts now. */
  snapshot(): Progress
}

interface Bar {
  start(total: number, value: number, payload: Record<string, unknown>): void
  update(value: number, payload: Record<string, unknown>): void
  stop(): void
}

/**
 * A tracker for `total` items: calls `onProgress` at the start and on every change, and draws a
 * progress bar when {@link progressBarEnabled} says so (by default only once the batch has run for
 * half a second, so short batches print nothing; at once when forced).
 *
 * @example
 * ```ts
 * const progress = await trackProgress(items.length, { onProgress: (p) => console.log(p.done, p.total) })
 * progress.start(); progress.settle(true); progress.stop()
 * ```
 */
export async function trackProgress(
  total: number,
  options: { onProgress?: ((progress: Progress) => void) | undefined; progressBar?: ProgressBarOption | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ProgressTracker> {
  const { onProgress, progressBar } = options
  const stream = (typeof progressBar === 'object' ? progressBar.stream : undefined) ?? process.stderr
  const bar = progressBarEnabled(progressBar, env, stream) ? await createBar(stream) : undefined
  const startedAt = performance.now()
  let done = 0
  let failed = 0
  let inFlight = 0
  let stopped = false
  /** Whether the bar is drawn: at once when forced; by default only once the batch has run a while. */
  let shown = false
  let showTimer: NodeJS.Timeout | undefined
  const show = () => {
    showTimer = undefined
    if (!bar || shown || stopped) return
    shown = true
    bar.start(total, done + failed, payload(snapshot()))
  }

  const snapshot = (): Progress => {
    const elapsedMs = performance.now() - startedAt
    const settled = done + failed
    const rate = settled > 0 && elapsedMs > 0 ? settled / (elapsedMs / 1000) : 0
    const etaMs = settled === total ? 0 : rate > 0 ? ((total - settled) / rate) * 1000 : undefined
    return { total, done, failed, inFlight, elapsedMs, rate, etaMs }
  }
  const report = () => {
    if (stopped) return
    const progress = snapshot()
    if (shown) bar!.update(done + failed, payload(progress))
    if (!onProgress) return
    try {
      onProgress(progress)
    } catch (error) {
      // An observer's bug must not break the batch; it still surfaces as an uncaught error.
      queueMicrotask(() => {
        throw error
      })
    }
  }

  if (bar) {
    if (progressBar !== undefined) show()
    else {
      showTimer = setTimeout(show, AUTO_BAR_DELAY_MS)
      showTimer.unref()
    }
  }
  report()
  return {
    start() {
      inFlight++
      report()
    },
    settle(ok) {
      inFlight--
      if (ok) done++
      else failed++
      report()
    },
    stop() {
      if (stopped) return
      if (showTimer !== undefined) clearTimeout(showTimer)
      stopped = true
      if (shown) {
        bar!.update(done + failed, payload(snapshot()))
        bar!.stop()
      }
    },
    snapshot,
  }
}

/** A default bar appears only for batches still running after this long: short ones print nothing. */
const AUTO_BAR_DELAY_MS = 500

function payload(progress: Progress): Record<string, unknown> {
  return {
    done: progress.done,
    failed: progress.failed,
    inFlight: progress.inFlight,
    rate: progress.rate >= 10 ? progress.rate.toFixed(0) : progress.rate.toFixed(1),
    etaText: progress.etaMs === undefined ? '?' : formatDuration(progress.etaMs),
  }
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`
}

interface CliProgressModule {
  SingleBar: new (options: Record<string, unknown>) => Bar
}

async function createBar(stream: ProgressBarStream): Promise<Bar> {
  const loaded = (await import('cli-progress')) as unknown as CliProgressModule & { default?: CliProgressModule }
  const { SingleBar } = loaded.default ?? loaded
  return new SingleBar({
    stream,
    format: ' {bar} {value}/{total} | {done} done, {failed} failed, {inFlight} in flight | {rate}/s | ETA {etaText}',
    barsize: 24,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: false,
    clearOnComplete: false,
    // Off a terminal (a forced bar), a line every five seconds instead of redrawing one.
    noTTYOutput: stream.isTTY !== true,
    notTTYSchedule: 5000,
    fps: 10,
  })
}
