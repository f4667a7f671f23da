import { describe, expect, it } from 'vitest'
import { toDot, quoteDot } from './dot.js'
import { extractAndCompareGraph, nestedModulesGraph } from './examples.js'
import type { Graph } from './types.js'

describe('toDot', () => {
  it('renders the extract-and-compare graph', () => {
    expect(toDot(extractAndCompareGraph())).toBe(`digraph "ExtractAndCompare" {
  graph [rankdir=TB, fontname="Helvetica", fontsize=11];
  node [fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=9, color="#607d8b"];
  "doc1" [label="doc1", shape=oval, style="filled", fillcolor="#e3f2fd", color="#1e88e5", fontcolor="#0d47a1"];
  "doc2" [label="doc2", shape=oval, style="filled", fillcolor="#e3f2fd", color="#1e88e5", fontcolor="#0d47a1"];
  "extractor" [label="extractor (fast)", shape=box, style="filled", fillcolor="#fff3e0", color="#fb8c00", fontcolor="#e65100"];
  "extractor_2" [label="extractor (fast)", shape=box, style="filled", fillcolor="#fff3e0", color="#fb8c00", fontcolor="#e65100"];
  "prompt" [label="\`Compare: \${extractor} with \${extractor_2}\`", shape=box, style="rounded,filled", fillcolor="#e8f5e9", color="#43a047", fontcolor="#1b5e20"];
  "comparer" [label="comparer (smart)", shape=box, style="filled", fillcolor="#fff3e0", color="#fb8c00", fontcolor="#e65100"];
  "output" [label="output", shape=oval, style="filled", fillcolor="#f1f8e9", color="#7cb342", fontcolor="#33691e", peripheries=2];
  "doc1" -> "extractor";
  "doc2" -> "extractor_2";
  "extractor" -> "prompt";
  "extractor_2" -> "prompt";
  "prompt" -> "comparer";
  "comparer" -> "output";
}
`)
  })

  it('draws nested module paths as nested clusters', () => {
    const text = toDot(nestedModulesGraph())
    expect(text).toContain(`  subgraph "cluster_encoder" {
    label="encoder: Encoder";
    style="rounded,dashed";
    color="#90a4ae";
    "summary" [label="encoder.summarize (fast)", shape=box, style="filled", fillcolor="#fff3e0", color="#fb8c00", fontcolor="#e65100"];
    "title" [label=".title", shape=box, style="rounded,filled", fillcolor="#f3e5f5", color="#8e24aa", fontcolor="#4a148c"];
    subgraph "cluster_encoder.review" {
      label="encoder.review: Review";
      style="rounded,dashed";
      color="#90a4ae";
      "critique" [label="encoder.review.critic (smart)", shape=box, style="filled", fillcolor="#fff3e0", color="#fb8c00", fontcolor="#e65100"];
    }
  }
`)
    expect(text).toContain('  "check" [label="critique.ok", shape=diamond,')
    expect(text).toContain('  "end" [label="say \\"done\\"", shape=box, style="rounded,filled",')
    expect(text).toContain('  "summary" -> "output" [label="parts[0]"];\n  "final.text" -> "output" [label="text"];\n}\n')
  })

  it('renders an empty graph', () => {
    const empty: Graph = { ...extractAndCompareGraph(), name: 'Empty', inputs: [], nodes: [], output: { literal: 1 } }
    expect(toDot(empty)).toBe(`digraph "Empty" {
  graph [rankdir=TB, fontname="Helvetica", fontsize=11];
  node [fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=9, color="#607d8b"];
  "output" [label="output", shape=oval, style="filled", fillcolor="#f1f8e9", color="#7cb342", fontcolor="#33691e", peripheries=2];
}
`)
  })

  it('quotes ids, escapes labels and keeps the output node apart from a node called output', () => {
    const graph: Graph = {
      ...extractAndCompareGraph(),
      inputs: [],
      nodes: [
        { id: 'a "b"\\', kind: 'derive', inputs: [], label: 'line\none "two"' },
        { id: 'output', kind: 'map', inputs: ['a "b"\\'] },
      ],
      output: { node: 'output' },
    }
    const text = toDot(graph)
    expect(text).toContain('  "a \\"b\\"\\\\" [label="line one \\"two\\"", shape=box,')
    expect(text).toContain('  "output" [label="map", shape=hexagon,')
    expect(text).toContain('  "output_2" [label="output", shape=oval,')
    expect(text).toContain('  "a \\"b\\"\\\\" -> "output";\n  "output" -> "output_2";\n}\n')
  })
})

describe('quoteDot', () => {
  it('escapes backslashes, quotes and line breaks', () => {
    expect(quoteDot('a\\b "c"\nd')).toBe('"a\\\\b \\"c\\"\\nd"')
  })
})
