import { describe, expect, it } from 'vitest'
import { extractAndCompareGraph, nestedModulesGraph } from './examples.js'
import { graphToJSON, stableStringify } from './json.js'
import type { Graph } from './types.js'

/** A deep copy whose objects have their keys inserted in reverse order. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).reverse()
    return Object.fromEntries(entries.map(([key, item]) => [key, reverseKeys(item)])) as T
  }
  return value
}

describe('stableStringify', () => {
  it('sorts keys recursively and keeps array order', () => {
    expect(stableStringify({ b: 1, a: [3, { d: null, c: 'x' }, 1] }, 0)).toBe('{"a":[3,{"c":"x","d":null},1],"b":1}')
  })

  it('indents by 2 spaces by default, with compact empty containers', () => {
    expect(stableStringify({ z: [], y: {}, x: [1, { w: true }] })).toBe(
      '{\n  "x": [\n    1,\n    {\n      "w": true\n    }\n  ],\n  "y": {},\n  "z": []\n}',
    )
  })

  it('accepts an indent string', () => {
    expect(stableStringify({ b: 1, a: 2 }, '\t')).toBe('{\n\t"a": 2,\n\t"b": 1\n}')
  })

  it('sorts integer-like keys as strings, unlike property order', () => {
    expect(stableStringify({ 2: 'two', 10: 'ten', b: 'b', a: 'a' }, 0)).toBe('{"10":"ten","2":"two","a":"a","b":"b"}')
  })

  it('omits undefined properties and follows JSON.stringify for other values', () => {
    const value = {
      kept: 'yes',
      gone: undefined,
      fn: () => 1,
      list: [undefined, Number.NaN, Infinity, -0, 'q"uote\n'],
      date: new Date(0),
      boxed: new String('s'),
    }
    const text = stableStringify(value, 0)
    expect(text).toBe(
      '{"boxed":"s","date":"1970-01-01T00:00:00.000Z","kept":"yes","list":[null,null,null,0,"q\\"uote\\n"]}',
    )
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)))
  })

  it('throws on cycles, bigint and unrepresentable top-level values', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => stableStringify(cyclic)).toThrow(TypeError)
    expect(() => stableStringify({ n: 1n })).toThrow(/bigint/)
    expect(() => stableStringify(undefined)).toThrow(TypeError)
  })

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { a: 1 }
    expect(stableStringify([shared, shared], 0)).toBe('[{"a":1},{"a":1}]')
  })
})

describe('graphToJSON', () => {
  it('is byte-identical for graphs built with keys in different orders', () => {
    const graph = extractAndCompareGraph()
    const reversed = reverseKeys(graph)
    expect(Object.keys(reversed)[0]).not.toBe(Object.keys(graph)[0])
    expect(graphToJSON(reversed)).toBe(graphToJSON(graph))

    const handWritten: Graph = {
      diagnostics: [],
      parameters: [{ requiresGrad: true, description: 'How to extract facts', path: 'extractor.instructions' }],
      modules: [
        { type: 'Extract', alias: 'fast', path: 'extractor' },
        { alias: 'smart', path: 'comparer', type: 'Compare' },
      ],
      output: { node: 'comparer' },
      nodes: [
        { label: 'doc1', module: '', inputs: [], kind: 'input', id: 'doc1' },
        { inputs: [], label: 'doc2', id: 'doc2', kind: 'input', module: '' },
        { alias: 'fast', moduleType: 'Extract', module: 'extractor', inputs: ['doc1'], kind: 'call', id: 'extractor' },
        { moduleType: 'Extract', id: 'extractor_2', alias: 'fast', kind: 'call', inputs: ['doc2'], module: 'extractor' },
        {
          template: ['Compare:\n', '\nwith\n', ''],
          module: '',
          inputs: ['extractor', 'extractor_2'],
          kind: 'render',
          id: 'prompt',
        },
        { id: 'comparer', alias: 'smart', moduleType: 'Compare', module: 'comparer', inputs: ['prompt'], kind: 'call' },
      ],
      inputs: ['doc1', 'doc2'],
      source: 'compiler',
      name: 'ExtractAndCompare',
      version: 1,
    }
    expect(graphToJSON(handWritten)).toBe(graphToJSON(graph))
  })

  it('writes sorted keys, 2-space indentation and a trailing newline', () => {
    const text = graphToJSON(extractAndCompareGraph())
    expect(text.endsWith('}\n')).toBe(true)
    expect(text.endsWith('\n\n')).toBe(false)
    expect(text.startsWith('{\n  "diagnostics": [],\n  "inputs": [\n    "doc1",\n    "doc2"\n  ],\n  "modules": [')).toBe(true)
    expect(text).toContain('      "template": [\n        "Compare:\\n",\n        "\\nwith\\n",\n        ""\n      ]')
    const topKeys = Object.keys(JSON.parse(text) as object)
    expect(topKeys).toEqual([...topKeys].sort())
  })

  it('omits undefined optional properties and round-trips', () => {
    const graph = nestedModulesGraph()
    graph.nodes[0]!.label = undefined
    const text = graphToJSON(graph)
    expect(text).not.toContain('undefined')
    const parsed = JSON.parse(text) as Graph
    expect('label' in parsed.nodes[0]!).toBe(false)
    expect(graphToJSON(parsed)).toBe(text)
  })
})
