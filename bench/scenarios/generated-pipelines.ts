/**
 * The generated project of the build benchmarks (`bench/vite-build.ts`, `bench/compile-throughput.ts`):
 * pipeline modules with three `LLMInference` children whose forward() bodies cycle through five
 * shapes (parallel calls and a template, an early return on a result with a ternary, a `for..of`
 * fan-out with `push`, a `.map` over words with `||`, a counted loop chaining calls with destructuring).
 */

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

/**
 * The text of generated module `n` (`src/pipeline-<n>.ts`, class `Pipeline<n>`).
 *
 * @example
 * ```ts
 * writeFileSync(`src/pipeline-${n}.ts`, pipelineSource(n))
 * ```
 */
export function pipelineSource(n: number): string {
  return `import { LLMInference, Module } from 'plait'

/** Generated pipeline ${n}. */
export class Pipeline${n} extends Module<[string], string> {
  first = new LLMInference({ alias: 'fast', system: 'first ${n}' })
  second = new LLMInference({ alias: 'fast', system: 'second ${n}' })
  join = new LLMInference({ alias: 'smart', system: 'join ${n}' })

  forward(input: string): string {
${bodies[n % bodies.length]!(n)}
  }
}
`
}
