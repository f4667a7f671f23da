/**
 * A synthetic 10,000-node graph on a zero-latency `simulated()` endpoint: what plait costs per
 * node when nothing waits on a network. Two shapes:
 * - `chains`: 100 independent chains of 100 calls (10,000 call nodes);
 * - `renders`: 100 chains of 50 calls, each fed by a template literal (call + render nodes).
 * Each shape runs traced (the module as written: the runtime captures a stack per call for its
 * source location) and compiled (`synthetic-compiled.ts`: static ids and locations).
 * The baseline awaits the same endpoint's `complete()` directly, chains side by side with `Promise.all`.
 * Both run on the package the bench runs (built for publishing; see `synthetic-package.ts`).
 */
import type { Module as ModuleType } from 'plait'
import type { CompletionRequest, SimulatedEndpoint } from 'plait/endpoints'
import type { Contender } from '../lib/interleave.js'
import { compiledChains } from './synthetic-compiled.js'
import { loadSyntheticPackage } from './synthetic-package.js'

/** The package the graphs run on: the bench's (built, or the sources with `BENCH_SOURCE=1`). */
export const syntheticPackage = await loadSyntheticPackage()
const { LLMInference, Module } = syntheticPackage.plait
const { simulated } = syntheticPackage.endpoints

export const CHAINS = 100

/** One shape of the synthetic graph. */
export interface SyntheticShape {
  name: string
  description: string
  module: ModuleType<[seed: string], string[]>
  /** The same computation, straight on the endpoint. */
  baseline: (endpoint: SimulatedEndpoint, seed: string) => Promise<string[]>
}

class Chains extends Module<[seed: string], string[]> {
  step = new LLMInference({ alias: 'sim' })
  constructor(readonly length: number) {
    super()
  }
  forward(seed: string): string[] {
    const outputs: string[] = []
    for (let chain = 0; chain < CHAINS; chain++) {
      let value = `${seed} ${chain}`
      for (let step = 0; step < this.length; step++) value = this.step(value)
      outputs.push(value)
    }
    return outputs
  }
}

class RenderedChains extends Module<[seed: string], string[]> {
  step = new LLMInference({ alias: 'sim' })
  constructor(readonly length: number) {
    super()
  }
  forward(seed: string): string[] {
    const outputs: string[] = []
    for (let chain = 0; chain < CHAINS; chain++) {
      let value = `${seed} ${chain}`
      for (let step = 0; step < this.length; step++) value = this.step(`step ${step}: ${value}`)
      outputs.push(value)
    }
    return outputs
  }
}

const ask = (content: string): CompletionRequest => ({ messages: [{ role: 'user', content }] })

const chainsBaseline: SyntheticShape['baseline'] = (endpoint, seed) => {
  const { signal } = new AbortController()
  return Promise.all(
    Array.from({ length: CHAINS }, async (_, chain) => {
      let value = `${seed} ${chain}`
      for (let step = 0; step < 100; step++) value = (await endpoint.complete(ask(value), { signal })).text
      return value
    }),
  )
}

const rendersBaseline: SyntheticShape['baseline'] = (endpoint, seed) => {
  const { signal } = new AbortController()
  return Promise.all(
    Array.from({ length: CHAINS }, async (_, chain) => {
      let value = `${seed} ${chain}`
      for (let step = 0; step < 50; step++) value = (await endpoint.complete(ask(`step ${step}: ${value}`), { signal })).text
      return value
    }),
  )
}

const compiled = compiledChains(syntheticPackage)

export const shapes: SyntheticShape[] = [
  { name: 'chains', description: '100 chains × 100 calls', module: new Chains(100), baseline: chainsBaseline },
  { name: 'renders', description: '100 chains × (template literal → call) × 50', module: new RenderedChains(50), baseline: rendersBaseline },
  { name: 'chains-compiled', description: '100 chains × 100 calls, compiled', module: new compiled.Chains(CHAINS, 100), baseline: chainsBaseline },
  { name: 'renders-compiled', description: '100 chains × (template literal → call) × 50, compiled', module: new compiled.RenderedChains(CHAINS, 50), baseline: rendersBaseline },
]

/** Nodes in the traced graph of `shape` (`module.graph()`), by kind; input nodes excluded. */
export function tracedNodes(shape: SyntheticShape): Record<string, number> {
  const byKind: Record<string, number> = {}
  for (const node of shape.module.graph('seed').nodes) if (node.kind !== 'input') byKind[node.kind] = (byKind[node.kind] ?? 0) + 1
  return byKind
}

/**
 * Plait and the baseline for `shape`; `nodes()` gives the node count of plait's first run, which
 * counts them with an `onNode` observer (untimed: it is the run that checks both sides agree). The
 * tracer sees the input as pending and adds a render node where a run, with the real string, has none.
 */
export function synthetic(shape: SyntheticShape): Contender<string[]> & { nodes: () => number } {
  // A short fixed reply keeps the endpoint's own work out of the way; latency 0 means no timer.
  const endpoint = simulated({ model: 'sim', latencyMs: 0, maxConcurrent: 100_000, reply: (request) => `ok ${request.messages.at(-1)!.content.length}` })
  const pipeline = shape.module.bind({ endpoints: { sim: endpoint } })
  let nodes = 0
  let counted = false
  const plait = (): Promise<string[]> => {
    if (counted) return pipeline('seed')
    counted = true
    return pipeline.run(['seed'], { onNode: () => nodes++ })
  }
  return { plait, baseline: () => shape.baseline(endpoint, 'seed'), nodes: () => nodes }
}
