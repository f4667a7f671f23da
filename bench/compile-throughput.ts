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

const MODULES = 200

/** The forward() bodies the generated modules cycle through (as in `bench/vite-build.ts`). */
const bodies = [
  (n: number) => `    const a = this.first(input)
    const b = this.second(input)
    return this.join(\`${n}: \${a} and \${b}\`)`,
  (n: number) => `    const label = this.first(input)
    if (label === 'yes') return this.second(\`urgent ${n}: \${input}\`)
    return label.length > 3 ? this.join(label) : 'short'`,
  (n: number) => `    const parts = input.split(',')
    const out: string[] = []
    for (const part of parts) out.push(this.first(\`${n} \${part}\`))
    return this.join(out.join('; '))`,
  (n: number) => `    const summaries = input.split(' ').map((word) => this.second(word))
    const merged = this.join(summaries.join(' | '))
    return merged || this.first('empty ${n}')`,
  (n: number) => `    let draft = this.first(input)
    for (let round = 0; round < 2; round++) draft = this.second(\`${n} revise \${draft}\`)
    const { length } = draft
    return length > 10 ? draft : this.join(draft)`,
]

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
    source: `import { LLMInference, Module } from 'plait'

/** Generated pipeline ${n}. */
export class Pipeline${n} extends Module<[string], string> {
  first = new LLMInference({ alias: 'fast', system: 'first ${n}' })
  second = new LLMInference({ alias: 'fast', system: 'second ${n}' })
  join = new LLMInference({ alias: 'smart', system: 'join ${n}' })

  forward(input: string): string {
${bodies[n % bodies.length]!(n)}
  }
}
`,
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
