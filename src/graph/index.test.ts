import { describe, expect, it } from 'vitest'
import { extractAndCompareGraph } from './examples.js'
import * as graphApi from './index.js'
import type { Graph, GraphNode } from './types.js'

describe('index', () => {
  it('exports the public functions', () => {
    expect(Object.keys(graphApi).sort()).toEqual([
      'GraphValidationError',
      'formatDiagnostic',
      'formatSummary',
      'graphToJSON',
      'stableStringify',
      'summarizeGraph',
      'toDot',
      'toMermaid',
      'validateGraph',
    ])
  })
})

describe('large graphs', () => {
  it('validates, serializes and renders a 10,000-node graph', () => {
    const nodes: GraphNode[] = [{ id: 'x', kind: 'input', inputs: [] }]
    for (let step = 1; step <= 2000; step += 1) {
      nodes.push({ id: `c${step}`, kind: 'call', inputs: [nodes[nodes.length - 1]!.id], module: `m${step % 7}.leaf`, alias: 'fast' })
      for (let leaf = 0; leaf < 4; leaf += 1) nodes.push({ id: `f${step}.${leaf}`, kind: 'derive', inputs: [`c${step}`] })
    }
    const graph: Graph = { ...extractAndCompareGraph(), inputs: ['x'], nodes, output: { node: 'c2000' }, modules: [] }
    expect(graphApi.validateGraph(graph)).toBe(graph)
    expect(graphApi.graphToJSON(graph).length).toBeGreaterThan(100_000)
    expect(graphApi.toMermaid(graph).split('\n').filter((line) => line.includes(' --> '))).toHaveLength(10_001)
    expect(graphApi.toDot(graph).split('\n').filter((line) => line.includes(' -> '))).toHaveLength(10_001)
  })
})
