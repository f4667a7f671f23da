/**
 * Compile time per forward() over the golden fixture corpus (`fixtures/compiler/*.ts`), in this
 * process after a warm-up: what a build step adds per module class. Target: median under 2 ms.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { compile } from '../plugin/compiler/index.js'
import { repoRoot } from './lib/mock-server.js'

/** Median and 90th percentile of milliseconds per forward(), and how many files and forwards. */
export interface CompileTimes {
  medianMs: number
  p90Ms: number
  files: number
  forwards: number
}

/**
 * Compiles every fixture `rounds` times (after `warmup` rounds) and times each compile, divided by
 * the number of forward() methods it handled (compiled, or rejected with a diagnostic).
 *
 * @example
 * ```ts
 * const { medianMs } = compileTimes({ warmup: 20, rounds: 30 })
 * ```
 */
export function compileTimes(options: { warmup: number; rounds: number }): CompileTimes {
  const folder = `${repoRoot}fixtures/compiler/`
  const sources = readdirSync(folder)
    .filter((name) => name.endsWith('.ts') && name !== 'support.ts')
    .map((name) => ({ id: `${folder}${name}`, source: readFileSync(`${folder}${name}`, 'utf8') }))
  for (let round = 0; round < options.warmup; round++) for (const { source, id } of sources) compile(source, id, { root: repoRoot })
  const perForward: number[] = []
  let forwards = 0
  for (let round = 0; round < options.rounds; round++) {
    for (const { source, id } of sources) {
      const started = performance.now()
      const result = compile(source, id, { root: repoRoot })
      const elapsed = performance.now() - started
      const handled = Math.max(1, result.graphs.length + new Set(result.diagnostics.map((diagnostic) => diagnostic.location?.line)).size)
      if (round === 0) forwards += handled
      perForward.push(elapsed / handled)
    }
  }
  perForward.sort((first, second) => first - second)
  return {
    medianMs: perForward[Math.floor(perForward.length / 2)]!,
    p90Ms: perForward[Math.floor(perForward.length * 0.9)]!,
    files: sources.length,
    forwards,
  }
}
