import { describe, expect, it } from 'vitest'
import { extractAndCompareGraph, nestedModulesGraph } from './examples.js'
import { graphToJSON } from './json.js'
import { escapeMermaidLabel, toMermaid } from './mermaid.js'
import { mermaidIds } from './mermaid-ids.js'
import type { Graph } from './types.js'

describe('toMermaid', () => {
  it('renders the extract-and-compare graph', () => {
    expect(toMermaid(extractAndCompareGraph())).toBe(`flowchart TD
  doc1(["doc1"]):::kind_input
  doc2(["doc2"]):::kind_input
  extractor["extractor (fast)"]:::kind_call
  extractor_2["extractor (fast)"]:::kind_call
  prompt("#96;Compare: \${extractor} with \${extractor_2}#96;"):::kind_render
  comparer["comparer (smart)"]:::kind_call
  output(["output"]):::kind_output
  doc1 --> extractor
  doc2 --> extractor_2
  extractor --> prompt
  extractor_2 --> prompt
  prompt --> comparer
  comparer --> output
  classDef kind_input fill:#e3f2fd,stroke:#1e88e5,color:#0d47a1
  classDef kind_call fill:#fff3e0,stroke:#fb8c00,color:#e65100
  classDef kind_render fill:#e8f5e9,stroke:#43a047,color:#1b5e20
  classDef kind_output fill:#f1f8e9,stroke:#7cb342,color:#33691e
`)
  })

  it('groups nested module paths in nested subgraphs and sanitizes ids', () => {
    expect(toMermaid(nestedModulesGraph())).toBe(`flowchart TD
  doc(["doc"]):::kind_input
  check{"critique.ok"}:::kind_cond
  end_("say #quot;done#quot;"):::kind_derive
  final_text(".trim()"):::kind_derive
  subgraph mod_encoder ["encoder: Encoder"]
    summary["encoder.summarize (fast)"]:::kind_call
    title(".title"):::kind_select
    subgraph mod_encoder_review ["encoder.review: Review"]
      critique["encoder.review.critic (smart)"]:::kind_call
    end
  end
  output(["output"]):::kind_output
  doc --> summary
  summary --> title
  title --> critique
  critique --> check
  check --> end_
  end_ --> final_text
  summary --> final_text
  summary -->|"parts[0]"| output
  final_text -->|"text"| output
  classDef kind_input fill:#e3f2fd,stroke:#1e88e5,color:#0d47a1
  classDef kind_call fill:#fff3e0,stroke:#fb8c00,color:#e65100
  classDef kind_select fill:#f3e5f5,stroke:#8e24aa,color:#4a148c
  classDef kind_derive fill:#ede7f6,stroke:#5e35b1,color:#311b92
  classDef kind_cond fill:#fffde7,stroke:#f9a825,color:#f57f17
  classDef kind_output fill:#f1f8e9,stroke:#7cb342,color:#33691e
`)
  })

  it('renders an empty graph', () => {
    const empty: Graph = { ...extractAndCompareGraph(), inputs: [], nodes: [], output: { literal: null }, modules: [] }
    expect(toMermaid(empty)).toBe(`flowchart TD
  output(["output"]):::kind_output
  classDef kind_output fill:#f1f8e9,stroke:#7cb342,color:#33691e
`)
  })

  it('uses a shape per kind', () => {
    const graph: Graph = {
      ...extractAndCompareGraph(),
      inputs: ['a'],
      nodes: [
        { id: 'a', kind: 'input', inputs: [] },
        { id: 'e', kind: 'effect', inputs: ['a'], label: 'console.log' },
        { id: 'c', kind: 'cond', inputs: ['a'] },
        { id: 'm', kind: 'map', inputs: ['a'] },
        { id: 'w', kind: 'await', inputs: ['a'] },
        { id: 's', kind: 'select', inputs: ['a'], key: 0 },
      ],
      output: { array: [{ node: 's' }, { node: 'w' }, { node: 's' }] },
    }
    const lines = toMermaid(graph).split('\n')
    expect(lines).toContain('  a(["a"]):::kind_input')
    expect(lines).toContain('  e[["console.log"]]:::kind_effect')
    expect(lines).toContain('  c{"cond"}:::kind_cond')
    expect(lines).toContain('  m{{"map"}}:::kind_map')
    expect(lines).toContain('  w{{"await"}}:::kind_await')
    expect(lines).toContain('  s("[0]"):::kind_select')
    // One edge per referenced node, labelled with every place it lands.
    expect(lines.filter((line) => line.endsWith(' output'))).toEqual(['  s -->|"[0], [2]"| output', '  w -->|"[1]"| output'])
  })

  it('escapes labels so they cannot break the diagram', () => {
    expect(escapeMermaidLabel('a "quoted" <b>#1</b> & `code`\nnext')).toBe(
      'a #quot;quoted#quot; #lt;b#gt;#35;1#lt;/b#gt; #amp; #96;code#96; next',
    )
    const graph: Graph = {
      ...extractAndCompareGraph(),
      inputs: [],
      nodes: [{ id: 'x', kind: 'derive', inputs: [], label: '"]) --> hack' }],
      output: { node: 'x' },
    }
    expect(toMermaid(graph)).toContain('  x("#quot;]) --#gt; hack"):::kind_derive\n')
  })

  it('does not depend on key order', () => {
    const graph = nestedModulesGraph()
    const reparsed = JSON.parse(graphToJSON(graph)) as Graph
    expect(toMermaid(reparsed)).toBe(toMermaid(graph))
  })

  it('never gives two nodes, a subgraph or the output the same id', () => {
    const graph: Graph = {
      ...extractAndCompareGraph(),
      inputs: [],
      nodes: [
        { id: 'a.b', kind: 'derive', inputs: [] },
        { id: 'a_b', kind: 'derive', inputs: [] },
        { id: 'a-b', kind: 'derive', inputs: [] },
        { id: 'output', kind: 'derive', inputs: [] },
        { id: 'mod_encoder', kind: 'call', inputs: [], module: 'encoder.x', alias: 'fast' },
        { id: '1st', kind: 'derive', inputs: [] },
      ],
      output: { object: { a: { node: 'a.b' }, b: { node: 'output' } } },
    }
    const text = toMermaid(graph)
    expect(text).toContain('  a_b_2("derive"):::kind_derive\n  a_b("derive"):::kind_derive\n  a_b_3("derive"):::kind_derive\n')
    expect(text).toContain('  subgraph mod_encoder_2 ["encoder"]\n    mod_encoder["encoder.x (fast)"]:::kind_call\n  end\n')
    expect(text).toContain('  n_1st("derive"):::kind_derive\n')
    expect(text).toContain('  output_2(["output"]):::kind_output\n')
    expect(text).toContain('  a_b_2 -->|"a"| output_2\n  output -->|"b"| output_2\n')
  })
})

describe('mermaidIds', () => {
  it('keeps safe ids and makes the others safe, deterministically', () => {
    const ids = mermaidIds(['doc1', 'a.b', 'a_b', 'end', 'Class', 'x y'])
    expect(['doc1', 'a.b', 'a_b', 'end', 'Class', 'x y'].map((id) => ids.node(id))).toEqual([
      'doc1',
      'a_b_2',
      'a_b',
      'end_',
      'Class_',
      'x_y',
    ])
    expect(ids.node('a.b')).toBe('a_b_2')
    expect(ids.fresh('doc1')).toBe('doc1_2')
    expect(ids.fresh('doc1')).toBe('doc1_3')
    expect(ids.node('later one')).toBe('later_one')
  })
})
