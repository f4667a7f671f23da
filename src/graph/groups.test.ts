import { describe, expect, it } from 'vitest'
import { extractAndCompareGraph, nestedModulesGraph } from './examples.js'
import { groupByModule, type ModuleGroup } from './groups.js'
import type { Graph } from './types.js'

/** A group tree as `path: node ids`, children indented, for readable assertions. */
function outline(group: ModuleGroup, depth = 0): string[] {
  const line = `${'  '.repeat(depth)}${group.path || '(root)'}${group.type ? ` [${group.type}]` : ''}: ${group.nodes.map((node) => node.id).join(' ')}`
  return [line, ...group.children.flatMap((child) => outline(child, depth + 1))]
}

describe('groupByModule', () => {
  it('puts calls in the parent of their module and other nodes in their module', () => {
    expect(outline(groupByModule(nestedModulesGraph()))).toEqual([
      '(root): doc check end final.text',
      '  encoder [Encoder]: summary title',
      '    encoder.review [Review]: critique',
    ])
  })

  it('keeps top-level leaf calls at the root', () => {
    expect(outline(groupByModule(extractAndCompareGraph()))).toEqual([
      '(root): doc1 doc2 extractor extractor_2 prompt comparer',
    ])
  })

  it('creates intermediate groups for deep paths, in order of first appearance', () => {
    const graph: Graph = {
      ...extractAndCompareGraph(),
      modules: [],
      nodes: [
        { id: 'deep', kind: 'call', inputs: [], module: 'a.b.c.leaf', alias: 'x' },
        { id: 'other', kind: 'call', inputs: [], module: 'z.leaf', alias: 'x' },
        { id: 'mid', kind: 'call', inputs: [], module: 'a.leaf', alias: 'x' },
        { id: 'nomodule', kind: 'derive', inputs: [] },
      ],
    }
    expect(outline(groupByModule(graph))).toEqual(['(root): nomodule', '  a: mid', '    a.b: ', '      a.b.c: deep', '  z: other'])
  })
})
