/**
 * The synthetic graphs of `synthetic.ts` as the compiler emits them: the same two `forward()`s,
 * compiled by `compile()` from `plugin/compiler` (each call carries a static id and source
 * location, so no stack is captured per call) and evaluated in this process.
 */
import type { Module } from 'plait'
import { compile } from '../../plugin/compiler/index.js'
import type { SyntheticPackage } from './synthetic-package.js'

/** The source of a module whose `forward()` runs `chains` chains of `steps` calls, each call's input made by `input`. */
function chainsSource(input: string): string {
  return [
    "import { LLMInference, Module } from 'plait'",
    'export class Generated extends Module {',
    "  step = new LLMInference({ alias: 'sim' })",
    '  constructor(chains, steps) {',
    '    super()',
    '    this.chains = chains',
    '    this.steps = steps',
    '  }',
    '  forward(seed) {',
    '    const outputs = []',
    '    for (let chain = 0; chain < this.chains; chain++) {',
    '      let value = `${seed} ${chain}`',
    `      for (let step = 0; step < this.steps; step++) value = this.step(${input})`,
    '      outputs.push(value)',
    '    }',
    '    return outputs',
    '  }',
    '}',
  ].join('\n')
}

/** Compiles `source` and evaluates it with its imports (from `pkg`) handed in by name; throws on any diagnostic. */
function load(pkg: SyntheticPackage, source: string, file: string): new (chains: number, steps: number) => Module<[seed: string], string[]> {
  const { code, diagnostics } = compile(source, file)
  if (diagnostics.length > 0 || !code.includes('enter(this)')) throw new Error(`Expected ${file} to compile cleanly, got ${JSON.stringify(diagnostics)}`)
  const body = code.replace(/import\s*\{[^}]*\}\s*from\s*'[^']*';?/g, '').replace('export class Generated', 'class Generated')
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('LLMInference', 'Module', 'enter', '$mark', '$sites', `${body}\nreturn Generated`) as (...names: unknown[]) => ReturnType<typeof load>
  return factory(pkg.plait.LLMInference, pkg.plait.Module, pkg.compiled.enter, pkg.compiled.mark, pkg.compiled.sites)
}

/**
 * The compiled forms of the `chains` and `renders` shapes, on the runtime of `pkg`.
 *
 * @example
 * ```ts
 * const module = new (compiledChains(await loadSyntheticPackage()).Chains)(100, 100)
 * ```
 */
export function compiledChains(pkg: SyntheticPackage) {
  return {
    Chains: load(pkg, chainsSource('value'), 'bench/scenarios/synthetic-chains.compiled.js'),
    RenderedChains: load(pkg, chainsSource('`step ${step}: ${value}`'), 'bench/scenarios/synthetic-renders.compiled.js'),
  }
}
