import { describe, expect, it } from 'vitest'
import { nodeLabel } from './label.js'
import type { GraphNode } from './types.js'

describe('nodeLabel', () => {
  const node = (fields: Partial<GraphNode> & Pick<GraphNode, 'kind'>): GraphNode => ({ id: 'n', inputs: [], ...fields })

  it('labels each kind', () => {
    expect(nodeLabel(node({ kind: 'input' }))).toBe('n')
    expect(nodeLabel(node({ kind: 'input', label: 'question' }))).toBe('question')
    expect(nodeLabel(node({ kind: 'call', module: 'encoder.summarize', alias: 'fast' }))).toBe('encoder.summarize (fast)')
    expect(nodeLabel(node({ kind: 'call', moduleType: 'Summarize' }))).toBe('Summarize')
    expect(nodeLabel(node({ kind: 'render', inputs: ['a', 'b'], template: ['x ', ' and\n\n', '!'] }))).toBe('`x ${a} and ${b}!`')
    expect(nodeLabel(node({ kind: 'select', key: 'title' }))).toBe('.title')
    expect(nodeLabel(node({ kind: 'select', key: 'two words' }))).toBe('["two words"]')
    expect(nodeLabel(node({ kind: 'select', key: 3 }))).toBe('[3]')
    expect(nodeLabel(node({ kind: 'derive', label: '.split()' }))).toBe('.split()')
    expect(nodeLabel(node({ kind: 'effect' }))).toBe('effect')
  })

  it('shortens long labels', () => {
    const label = nodeLabel(node({ kind: 'derive', label: 'x'.repeat(100) }))
    expect(label).toBe(`${'x'.repeat(47)}…`)
  })
})
