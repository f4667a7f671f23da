// A test file of the project itself, run by vitest with plait/vite in its config
// (test/hosts/vitest.test.ts): the classes it imports are compiled, run, and have graphs.
/// <reference path="../../../plugin/virtual.d.ts" />
import { compilationOf } from 'plait'
import graphs from 'virtual:plait/graphs'
import { expect, it } from 'vitest'
import { Branches } from '../../../fixtures/compiler/branches.js'
import { endpoints } from '../../../fixtures/compiler/support.js'
import { Reviewed } from './derived.js'

it('runs the compiled pipelines', async () => {
  expect(compilationOf(Reviewed)).toMatchObject({ compiled: true, graphFile: '.plait/test/hosts/project/derived.ts/Reviewed.graph.json' })
  expect(compilationOf(Branches).compiled).toBe(true)
  expect(await new Reviewed().bind({ endpoints: endpoints() })('essay')).toBe('REVIEW(DRAFT(essay) + DRAFT(essay!))')
  expect(await new Branches().bind({ endpoints: endpoints() })('thanks')).toBe('REPLY(thanks) / plain / REPLY(fallback) / REPLY(kept) / REPLY(no)')
})

it('sees the graphs of the project', () => {
  expect(graphs['test/hosts/project/derived.ts#Reviewed']?.nodes.map((node) => node.id)).toContain('first')
})
