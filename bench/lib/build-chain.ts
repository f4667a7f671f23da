/**
 * S4's chain on a build of plait loaded from a folder, for the scripts that compare builds in one
 * process (`ab-sim.ts`, `feature-floor.ts`). Each build is imported by file URL, so that two builds are two
 * sets of classes; nothing here imports plait itself.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { S4_STEPS, systemOf } from '../scenarios/s4-baseline.js'

type Endpoints = typeof import('plait/endpoints')

/**
 * The S4 chain (20 `LLMInference` steps, alias `fast`) of the build in `dir`, bound to the endpoint
 * `endpointOf` makes with that build's `plait/endpoints`.
 *
 * @example
 * ```ts
 * const run = await chainOnBuild('bench/results/ab-build', ({ simulated }) => simulated({ model: 'fast' }))
 * await run('some text')
 * ```
 */
export async function chainOnBuild(dir: string, endpointOf: (endpoints: Endpoints) => ReturnType<Endpoints['defineEndpoint']>): Promise<(text: string) => Promise<string>> {
  const url = (entry: string) => pathToFileURL(resolve(dir, `${entry}.js`)).href
  const { LLMInference, Module } = (await import(url('index'))) as typeof import('plait')
  const endpoints = (await import(url('endpoints'))) as Endpoints
  class Chain extends Module<[text: string], string> {
    steps = Array.from({ length: S4_STEPS }, (_, step) => new LLMInference({ alias: 'fast', system: systemOf(step) }))
    forward(text: string): string {
      let value = text
      for (const step of this.steps) value = step(value)
      return value
    }
  }
  return new Chain().bind({ endpoints: { fast: endpointOf(endpoints) } })
}
