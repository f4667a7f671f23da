/**
 * Compile throughput: `compile()` over the 200 generated pipeline modules of `bench/vite-build.ts`
 * (same generator, in memory), per module, with TypeScript's `createSourceFile` alone for scale.
 * What the compiler adds on top of the parse is "the rest" (compile minus parse).
 *
 * Usage: npx tsx --conditions=plait-source bench/compile-throughput.ts   (BENCH_COMPILE_ROUNDS, default 15)
 */
import { cpus, loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { compile } from '../plugin/compiler/index.js'
import { table } from './lib/report.js'
import { median, range } from './lib/stats.js'
import { pipelineSource } from './scenarios/generated-pipelines.js'

const MODULES = 200

/** One generated module: its file id under `/project/src` and its text (as `bench/vite-build.ts` writes it). */
export interface GeneratedModule {
  id: string
  source: string
}

/**
 * The 200 generated pipeline modules, in memory.
 *
 * @example
 * ```ts
 * for (const { id, source } of generatedModules()) compile(source, id, { root: '/project' })
 * ```
 */
export function generatedModules(count = MODULES): GeneratedModule[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `/project/src/pipeline-${n}.ts`,
    source: pipelineSource(n),
  }))
}

/** Milliseconds per module for one pass of `work` over every module. */
function perModule(modules: GeneratedModule[], work: (module: GeneratedModule) => unknown): number {
  const started = performance.now()
  for (const module of modules) work(module)
  return (performance.now() - started) / modules.length
}

/** Per-module times of `rounds` interleaved rounds (parse alone, then compile), after warm-up. */
export function compileThroughput(rounds: number): { parse: number[]; compile: number[] } {
  const modules = generatedModules()
  const parseOnly = (module: GeneratedModule) => ts.createSourceFile(module.id, module.source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const compileOne = (module: GeneratedModule) => compile(module.source, module.id, { root: '/project' })
  for (let round = 0; round < 5; round++) {
    perModule(modules, parseOnly)
    perModule(modules, compileOne)
  }
  const parse: number[] = []
  const compiled: number[] = []
  for (let round = 0; round < rounds; round++) {
    parse.push(perModule(modules, parseOnly))
    compiled.push(perModule(modules, compileOne))
  }
  return { parse, compile: compiled }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.env['BENCH_COMPILE_ROUNDS'] ?? 15)
  const { parse, compile: compiled } = compileThroughput(rounds)
  const rest = compiled.map((value, index) => value - parse[index]!)
  const row = (name: string, samples: number[]) => [name, median(samples).toFixed(3), `${range(samples).min.toFixed(3)}–${range(samples).max.toFixed(3)}`]
  process.stdout.write(
    `compile() over ${MODULES} generated pipeline modules, ${rounds} rounds (ms per module)\n\n` +
      table(['Work', 'Median', 'Min–max'], [row('compile()', compiled), row('for scale: TypeScript createSourceFile alone', parse), row('the rest (compile − parse, paired)', rest)]) +
      `\n\nload average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores\n`,
  )
}
