// The entry the host tests bundle: runs every pipeline on the simulated endpoints and returns
// the outputs, the side effects and the graphs of `virtual:plait/graphs`.
/// <reference path="../../../plugin/virtual.d.ts" />
import graphs from 'virtual:plait/graphs'
import { Branches } from '../../../fixtures/compiler/branches.js'
import { Pipeline } from '../../../fixtures/compiler/composite.js'
import { Reviewed } from './derived.js'
import { ExtractAndCompare } from '../../../fixtures/compiler/extract-and-compare.js'
import { effects, endpoints } from '../../../fixtures/compiler/support.js'

export { graphs }

export async function run(): Promise<{ outputs: Record<string, unknown>; effects: string[] }> {
  const options = { endpoints: endpoints() }
  effects.length = 0
  const outputs = {
    extract: await new ExtractAndCompare().bind(options)('rhine', 'danube'),
    urgent: await new Branches().bind(options)('urgent: server down'),
    thanks: await new Branches().bind(options)('thanks'),
    composite: await new Pipeline().bind(options)('p', 'q'),
    reviewed: await new Reviewed().bind(options)('essay'),
  }
  return { outputs, effects: [...effects] }
}
