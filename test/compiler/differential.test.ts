/**
 * Differential tests: every runnable fixture runs (a) compiled, (b) through the runtime tracer
 * where the tracer supports it, and (c) as a plain sequential reference that awaits each call in
 * order, on the same deterministic simulated endpoints. All give the same output and the same
 * order of side effects, and the compiled run is never slower than the reference.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { Module, type Graph } from 'plait'
import { effects, endpoints } from '../../fixtures/compiler/support.js'
import { compileFixture, fixtureNames, fixtureSource, fixturesDir, root } from './golden.js'
import { sequentialReference } from './sequential.js'
import '../support/quiet-tracer-warnings.js'

const outDir = `${root}.plait/compiled-tests/`
const supportFromOut = '../../fixtures/compiler/support.js'

interface FixtureModule {
  inputs?: unknown[][]
  traceable?: boolean
  [name: string]: unknown
}

/** The last exported module class of a fixture: its pipeline. */
function pipelineClass(module: FixtureModule): new () => Module {
  const classes = Object.values(module).filter((value): value is new () => Module => typeof value === 'function' && value.prototype instanceof Module)
  return classes.at(-1)!
}

async function run(module: FixtureModule, args: unknown[], latencyMs: number) {
  effects.length = 0
  const Pipeline = pipelineClass(module)
  const started = performance.now()
  let value: unknown
  let error: string | undefined
  try {
    value = await new Pipeline().bind({ endpoints: endpoints(latencyMs) })(...args)
  } catch (caught) {
    error = String((caught as Error).message)
  }
  return { value, error, effects: [...effects], ms: performance.now() - started }
}

const runnable = fixtureNames().filter((name) => !name.startsWith('error.'))
const modules = new Map<string, { compiled: FixtureModule; traced: FixtureModule; reference: FixtureModule }>()

describe('differential: compiled, traced and sequential runs agree', () => {
  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true })
    for (const name of runnable) {
      const rewrite = (code: string) => code.replaceAll("'./support.js'", `'${supportFromOut}'`)
      writeFileSync(`${outDir}${name}.compiled.ts`, rewrite(compileFixture(name).code))
      writeFileSync(`${outDir}${name}.reference.ts`, rewrite(sequentialReference(fixtureSource(name), `${fixturesDir}${name}.ts`, './support.js')))
      modules.set(name, {
        compiled: (await import(/* @vite-ignore */ `${outDir}${name}.compiled.ts`)) as FixtureModule,
        traced: (await import(/* @vite-ignore */ `${fixturesDir}${name}.ts`)) as FixtureModule,
        reference: (await import(/* @vite-ignore */ `${outDir}${name}.reference.ts`)) as FixtureModule,
      })
    }
  }, 60_000)

  for (const name of runnable) {
    it(name, async () => {
      const { compiled, traced, reference } = modules.get(name)!
      const inputs = compiled.inputs
      if (!inputs) return
      for (const args of inputs) {
        const expected = await run(reference, args, 0)
        expect(expected.error, `${name}: the reference run failed`).toBeUndefined()
        const actual = await run(compiled, args, 0)
        expect(actual.error).toBeUndefined()
        expect(actual.value, `${name} ${JSON.stringify(args)}: output`).toEqual(expected.value)
        expect(actual.effects, `${name} ${JSON.stringify(args)}: side effects`).toEqual(expected.effects)
        if (traced.traceable !== false) {
          const tracedRun = await run(traced, args, 0)
          expect(tracedRun.value, `${name}: traced output`).toEqual(expected.value)
        }
      }
    })
  }

  it('compiled runs are never slower than the sequential reference', async () => {
    for (const name of runnable) {
      const { compiled, reference } = modules.get(name)!
      for (const args of compiled.inputs ?? []) {
        const sequential = await run(reference, args, 15)
        const fast = await run(compiled, args, 15)
        // Wide margins: timers on a busy machine.
        expect(fast.ms, `${name}: compiled ${fast.ms.toFixed(0)} ms vs sequential ${sequential.ms.toFixed(0)} ms`).toBeLessThan(sequential.ms * 1.25 + 40)
      }
    }
  }, 60_000)
})

/** Each LLM call by module path, with the module paths of the calls it depends on (sorted). */
function callStructure(graph: Graph): string[] {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]))
  const ancestors = (id: string, seen = new Set<string>()): string[] => {
    const node = byId.get(id)
    if (!node) return []
    return node.inputs.flatMap((input) => {
      if (seen.has(input)) return []
      seen.add(input)
      const parent = byId.get(input)
      return parent?.kind === 'call' ? [parent.module ?? '', ...ancestors(input, seen)] : ancestors(input, seen)
    })
  }
  return graph.nodes
    .filter((node) => node.kind === 'call')
    .map((node) => `${node.module} <- ${[...new Set(ancestors(node.id))].sort().join(', ')}`)
    .sort()
}

describe('compiled and traced graphs agree', () => {
  // Straight-line fixtures: the tracer sees every call the compiler sees (loops unroll in traces).
  for (const name of ['extract-and-compare', 'composite', 'nested-calls']) {
    it(name, async () => {
      const traced = (await import(/* @vite-ignore */ `${fixturesDir}${name}.ts`)) as FixtureModule
      const Pipeline = pipelineClass(traced)
      const args = traced.inputs![0]!
      const module = new Pipeline()
      const tracedGraph = module.forward.constructor.name === 'AsyncFunction' ? await module.graphAsync(...args) : module.graph(...args)
      const compiledGraph = compileFixture(name).graphs.at(-1)!
      expect(callStructure(compiledGraph)).toEqual(callStructure(tracedGraph))
      expect(compiledGraph.modules).toEqual(tracedGraph.modules)
    })
  }
})
