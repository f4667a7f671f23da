/**
 * Side-by-side timing: a warm-up of both sides, then repetitions interleaved plait, baseline,
 * plait, baseline, … so that drift (timers, JIT, sockets) hits both alike. A full GC before each
 * sample keeps one side's garbage from being collected on the other's clock (`BENCH_NO_GC=1`
 * leaves it out, to see what it costs each side).
 */
import { fullGc, gcBeforeSamples } from './gc.js'

/** Two ways of computing the same thing. */
export interface Contender<T> {
  plait: () => Promise<T>
  baseline: () => Promise<T>
}

/** Wall times in milliseconds, one per repetition, and this process's CPU time (user + system) per repetition. */
export interface Samples {
  plait: number[]
  baseline: number[]
  plaitCpu: number[]
  baselineCpu: number[]
}

/**
 * One timed sample, after a full GC unless `gc` is false: wall and this process's CPU time (ms),
 * and what `body` returned.
 */
export async function time<T>(body: () => Promise<T>, gc = gcBeforeSamples): Promise<{ wall: number; cpu: number; value: T }> {
  if (gc) fullGc()
  const cpu = process.cpuUsage()
  const started = performance.now()
  const value = await body()
  const wall = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { wall, cpu: (used.user + used.system) / 1000, value }
}

/**
 * Runs `warmup` untimed rounds of both sides, then `reps` interleaved timed rounds (each after a
 * full GC unless `gc` is false).
 *
 * @example
 * ```ts
 * const samples = await interleaved({ plait: () => pipeline(a, b), baseline: () => handWritten(a, b) }, { warmup: 2, reps: 7 })
 * ```
 */
export async function interleaved<T>(contender: Contender<T>, options: { warmup: number; reps: number; gc?: boolean }): Promise<Samples> {
  for (let round = 0; round < options.warmup; round++) {
    await contender.plait()
    await contender.baseline()
  }
  const samples: Samples = { plait: [], baseline: [], plaitCpu: [], baselineCpu: [] }
  for (let round = 0; round < options.reps; round++) {
    const ours = await time(contender.plait, options.gc)
    const theirs = await time(contender.baseline, options.gc)
    samples.plait.push(ours.wall)
    samples.plaitCpu.push(ours.cpu)
    samples.baseline.push(theirs.wall)
    samples.baselineCpu.push(theirs.cpu)
  }
  return samples
}

/** Fails loudly when the two sides disagree: the comparison is only fair if they compute the same thing. */
export async function checkSameOutput<T>(name: string, contender: Contender<T>): Promise<void> {
  const [ours, theirs] = [await contender.plait(), await contender.baseline()]
  const a = JSON.stringify(ours)
  const b = JSON.stringify(theirs)
  if (a !== b) throw new Error(`${name}: plait and the baseline gave different outputs:\n  plait:    ${a.slice(0, 300)}\n  baseline: ${b.slice(0, 300)}`)
}
