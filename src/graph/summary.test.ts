import { describe, expect, it } from 'vitest'
import { extractAndCompareGraph, nestedModulesGraph } from './examples.js'
import { formatSummary, summarizeGraph } from './summary.js'
import type { Graph, GraphNode } from './types.js'

function graphOf(nodes: GraphNode[], output: Graph['output'] = { literal: null }): Graph {
  return {
    version: 1,
    name: 'Test',
    source: 'compiler',
    inputs: nodes.filter((node) => node.kind === 'input').map((node) => node.id),
    nodes,
    output,
    modules: [],
    parameters: [],
    diagnostics: [],
  }
}

const input = (id: string): GraphNode => ({ id, kind: 'input', inputs: [] })
const call = (id: string, inputs: string[], alias = 'fast'): GraphNode => ({ id, kind: 'call', inputs, alias, module: id })
const derive = (id: string, inputs: string[]): GraphNode => ({ id, kind: 'derive', inputs })

describe('summarizeGraph', () => {
  it('summarizes the extract-and-compare graph', () => {
    expect(summarizeGraph(extractAndCompareGraph())).toEqual({
      name: 'ExtractAndCompare',
      nodes: 6,
      calls: 3,
      criticalPath: 2,
      maxWidth: 2,
      callsPerAlias: { fast: 2, smart: 1 },
      kinds: { call: 3, input: 2, render: 1 },
    })
  })

  it('counts a chain of calls as one call wide and as long as the chain', () => {
    const summary = summarizeGraph(graphOf([input('x'), call('a', ['x']), call('b', ['a']), call('c', ['b'])]))
    expect(summary).toMatchObject({ nodes: 4, calls: 3, criticalPath: 3, maxWidth: 1 })
  })

  it('counts a fan-out as one call long and as wide as the fan', () => {
    const nodes = [input('x'), ...['a', 'b', 'c', 'd', 'e'].map((id) => call(id, ['x']))]
    expect(summarizeGraph(graphOf(nodes))).toMatchObject({ calls: 5, criticalPath: 1, maxWidth: 5 })
  })

  it('counts a diamond of calls', () => {
    const nodes = [input('x'), call('a', ['x']), call('b', ['a'], 'smart'), call('c', ['a']), call('d', ['b', 'c'])]
    expect(summarizeGraph(graphOf(nodes))).toMatchObject({
      calls: 4,
      criticalPath: 3,
      maxWidth: 2,
      callsPerAlias: { fast: 3, smart: 1 },
    })
  })

  it('follows call depth through nodes of other kinds and takes the longest branch', () => {
    const nodes = [
      input('x'),
      call('a', ['x']),
      derive('d1', ['a']),
      call('b', ['d1']),
      derive('d2', ['x']),
      derive('join', ['b', 'd2']),
      call('c', ['join']),
      call('side', ['d2']),
    ]
    // Depths: a 1, b 2, c 3, side 1.
    expect(summarizeGraph(graphOf(nodes))).toMatchObject({ calls: 4, criticalPath: 3, maxWidth: 2 })
  })

  it('gives 0 for a graph without calls, and for an empty graph', () => {
    expect(summarizeGraph(graphOf([input('x'), derive('y', ['x'])]))).toMatchObject({
      calls: 0,
      criticalPath: 0,
      maxWidth: 0,
      callsPerAlias: {},
      kinds: { derive: 1, input: 1 },
    })
    expect(summarizeGraph(graphOf([]))).toEqual({
      name: 'Test',
      nodes: 0,
      calls: 0,
      criticalPath: 0,
      maxWidth: 0,
      callsPerAlias: {},
      kinds: {},
    })
  })

  it('sorts aliases and kinds whatever order they appear in', () => {
    const nodes = [input('x'), call('a', ['x'], 'zeta'), call('b', ['x'], 'alpha'), derive('c', ['a']), call('d', ['x'], 'mid')]
    const summary = summarizeGraph(graphOf(nodes))
    expect(Object.keys(summary.callsPerAlias)).toEqual(['alpha', 'mid', 'zeta'])
    expect(Object.keys(summary.kinds)).toEqual(['call', 'derive', 'input'])
  })

  it('summarizes a 10,000-node chain-and-fan graph in well under a second', () => {
    // A chain of 2,000 calls; each chain call also fans out to 4 calls.
    const nodes: GraphNode[] = [input('x')]
    let previous = 'x'
    for (let step = 1; step <= 2000; step += 1) {
      const id = `chain${step}`
      nodes.push(call(id, [previous], 'smart'))
      for (let leaf = 0; leaf < 4; leaf += 1) nodes.push(call(`fan${step}_${leaf}`, [id]))
      previous = id
    }
    const graph = graphOf(nodes)
    expect(graph.nodes).toHaveLength(10_001)
    const started = performance.now()
    const summary = summarizeGraph(graph)
    const elapsed = performance.now() - started
    expect(summary).toMatchObject({ nodes: 10_001, calls: 10_000, criticalPath: 2001, maxWidth: 5 })
    expect(summary.callsPerAlias).toEqual({ fast: 8000, smart: 2000 })
    expect(elapsed).toBeLessThan(1000)
  })

  it('handles a wide fan-in of 20,000 calls in linear time', () => {
    const nodes: GraphNode[] = [input('x')]
    const ids: string[] = []
    for (let index = 0; index < 20_000; index += 1) {
      ids.push(`c${index}`)
      nodes.push(call(`c${index}`, ['x']))
    }
    nodes.push({ id: 'all', kind: 'render', inputs: ids, template: Array.from({ length: ids.length + 1 }, () => ',') })
    nodes.push(call('final', ['all'], 'smart'))
    const started = performance.now()
    const summary = summarizeGraph(graphOf(nodes))
    expect(performance.now() - started).toBeLessThan(1000)
    expect(summary).toMatchObject({ calls: 20_001, criticalPath: 2, maxWidth: 20_000 })
  })
})

describe('formatSummary', () => {
  it('formats the totals, calls per alias and kinds', () => {
    expect(formatSummary(summarizeGraph(extractAndCompareGraph()))).toBe(
      [
        'ExtractAndCompare: 6 nodes, 3 LLM calls, critical path 2 calls, max width 2',
        'calls per alias: fast 2, smart 1',
        'nodes per kind: call 3, input 2, render 1',
      ].join('\n'),
    )
    expect(formatSummary(summarizeGraph(nestedModulesGraph()))).toBe(
      [
        'Pipeline: 7 nodes, 2 LLM calls, critical path 2 calls, max width 1',
        'calls per alias: fast 1, smart 1',
        'nodes per kind: call 2, cond 1, derive 2, input 1, select 1',
      ].join('\n'),
    )
  })

  it('uses singular forms and says none when there is nothing', () => {
    expect(formatSummary(summarizeGraph(graphOf([input('x'), call('a', ['x'])])))).toBe(
      'Test: 2 nodes, 1 LLM call, critical path 1 call, max width 1\ncalls per alias: fast 1\nnodes per kind: call 1, input 1',
    )
    expect(formatSummary(summarizeGraph(graphOf([])))).toBe(
      'Test: 0 nodes, 0 LLM calls, critical path 0 calls, max width 0\ncalls per alias: none\nnodes per kind: none',
    )
  })
})
