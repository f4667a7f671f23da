import { describe, expect, it } from 'vitest'
import { extractAndCompareGraph, nestedModulesGraph } from './examples.js'
import type { Graph } from './types.js'
import { GraphValidationError, validateGraph } from './validate.js'

/** The problems `validateGraph` reports for a value, or `[]` when it passes. */
function problemsOf(value: unknown): string[] {
  try {
    validateGraph(value)
    return []
  } catch (error) {
    if (!(error instanceof GraphValidationError)) throw error
    return error.problems
  }
}

/** The extract-and-compare graph after a change. */
function broken(change: (graph: Graph) => void): Graph {
  const graph = extractAndCompareGraph()
  change(graph)
  return graph
}

describe('validateGraph', () => {
  it('returns a valid graph unchanged, typed', () => {
    const graph = extractAndCompareGraph()
    expect(validateGraph(graph)).toBe(graph)
    expect(problemsOf(nestedModulesGraph())).toEqual([])
    expect(problemsOf(JSON.parse(JSON.stringify(graph)))).toEqual([])
  })

  it('accepts an empty graph', () => {
    const empty = { ...extractAndCompareGraph(), inputs: [], nodes: [], output: { literal: null }, modules: [] }
    expect(problemsOf(empty)).toEqual([])
  })

  it('throws a GraphValidationError that lists the problems', () => {
    const graph = broken((g) => {
      g.version = 2 as 1
    })
    let caught: unknown
    try {
      validateGraph(graph)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(GraphValidationError)
    expect(caught).toBeInstanceOf(Error)
    const error = caught as GraphValidationError
    expect(error.name).toBe('GraphValidationError')
    expect(error.problems).toEqual(['Expected `version` to be 1, got `2`'])
    expect(error.message).toBe('Invalid graph `ExtractAndCompare` (1 problem):\n- Expected `version` to be 1, got `2`')
  })

  it('rejects a value that is not an object', () => {
    expect(problemsOf(null)).toEqual(['Expected `graph` to be an object, got `null`'])
    expect(problemsOf([])).toEqual(['Expected `graph` to be an object, got an array of 0'])
  })

  it('rejects an input that references a later node', () => {
    const graph = broken((g) => {
      g.nodes[3]!.inputs = ['prompt']
    })
    expect(problemsOf(graph)).toEqual([
      'Expected `nodes[3].inputs[0]` to reference an earlier node, got `prompt` (defined later, at `nodes[4]`)',
    ])
  })

  it('rejects an input that references no node, or the node itself', () => {
    const graph = broken((g) => {
      g.nodes[3]!.inputs = ['x']
      g.nodes[5]!.inputs = ['prompt', 'comparer']
    })
    expect(problemsOf(graph)).toEqual([
      'Expected `nodes[3].inputs[0]` to reference an earlier node, got `x` (no such node)',
      'Expected `nodes[5].inputs[1]` to reference an earlier node, got `comparer` (the node itself)',
    ])
  })

  it('rejects duplicate and empty ids', () => {
    const graph = broken((g) => {
      g.nodes[3]!.id = 'extractor'
      g.nodes[1]!.id = ''
    })
    expect(problemsOf(graph)).toEqual([
      'Expected `nodes[1].id` to be a non-empty string, got an empty string',
      'Expected `nodes[3].id` to be unique, got `extractor` (also `nodes[2].id`)',
      'Expected `nodes[3].inputs[0]` to reference an earlier node, got `doc2` (no such node)',
      'Expected `nodes[4].inputs[1]` to reference an earlier node, got `extractor_2` (no such node)',
      'Expected `inputs[1]` to reference a node of kind `input`, got `doc2` (no such node)',
    ])
  })

  it('rejects graph inputs that are not input nodes', () => {
    const graph = broken((g) => {
      g.inputs = ['doc1', 'prompt', 'nowhere']
    })
    expect(problemsOf(graph)).toEqual([
      'Expected `inputs[1]` to reference a node of kind `input`, got `prompt` (a `render` node)',
      'Expected `inputs[2]` to reference a node of kind `input`, got `nowhere` (no such node)',
    ])
  })

  it('rejects a call node without an alias', () => {
    const graph = broken((g) => {
      delete g.nodes[2]!.alias
      g.nodes[5]!.alias = ''
    })
    expect(problemsOf(graph)).toEqual([
      'Expected `nodes[2].alias` to be a non-empty string on a `call` node, got nothing',
      'Expected `nodes[5].alias` to be a non-empty string on a `call` node, got an empty string',
    ])
  })

  it('rejects a render node whose template does not have one part more than its inputs', () => {
    const short = broken((g) => {
      g.nodes[4]!.template = ['Compare:', '']
    })
    expect(problemsOf(short)).toEqual([
      'Expected `nodes[4].template` to be an array of 3 strings (one per gap around the inputs) on a `render` node, got an array of 2',
    ])
    const missing = broken((g) => {
      delete g.nodes[4]!.template
    })
    expect(problemsOf(missing)).toHaveLength(1)
    expect(problemsOf(missing)[0]).toMatch(/^Expected `nodes\[4\]\.template` to be an array of 3 strings.*got nothing$/)
    const notStrings = broken((g) => {
      g.nodes[4]!.template = ['a', 1, 'b'] as unknown as string[]
    })
    expect(problemsOf(notStrings)).toEqual(['Expected `nodes[4].template[1]` to be a string, got `1`'])
  })

  it('rejects a select node without a key', () => {
    const graph = nestedModulesGraph()
    delete graph.nodes[2]!.key
    expect(problemsOf(graph)).toEqual(['Expected `nodes[2].key` to be a string or a number on a `select` node, got nothing'])
    graph.nodes[2]!.key = 0
    expect(problemsOf(graph)).toEqual([])
  })

  it('rejects an output that references a missing node, with the path to it', () => {
    const graph = nestedModulesGraph()
    graph.output = {
      object: { text: { node: 'final.text' }, 'two words': { array: [{ literal: 1 }, { node: 'gone' }] } },
    }
    expect(problemsOf(graph)).toEqual([
      'Expected `output.object["two words"].array[1].node` to reference a node, got `gone` (no such node)',
    ])
    expect(problemsOf({ ...graph, output: { something: 1 } })).toEqual([
      'Expected `output` to be an output shape ({ node }, { literal }, { array } or { object }), got an object',
    ])
  })

  it('checks the shape of every field', () => {
    const problems = problemsOf({
      version: 1,
      name: 7,
      source: 'hand',
      inputs: 'doc',
      nodes: [{ id: 'a', kind: 'magic', inputs: [1], loc: { file: 'a.ts', line: 0, column: 1 } }, 'b'],
      output: { literal: Number.NaN },
      modules: [{ path: 'x' }],
      parameters: [{ path: 'p', description: 'd', requiresGrad: 'yes' }],
      diagnostics: [{ code: 'PL101', severity: 'fatal', text: 'bad', notes: [1] }],
    })
    expect(problems).toEqual([
      'Expected `name` to be a string, got `7`',
      'Expected `source` to be `tracer` or `compiler`, got `hand`',
      'Expected `nodes[0].kind` to be one of `input`, `call`, `render`, `select`, `derive`, `effect`, `cond`, `map`, `await`, got `magic`',
      'Expected `nodes[0].inputs[0]` to be a string, got `1`',
      'Expected `nodes[0].loc.line` to be a positive integer, got `0`',
      'Expected `nodes[1]` to be a node object, got `b`',
      'Expected `inputs` to be an array of strings, got `doc`',
      'Expected `output.literal` to be a JSON value, got `NaN`',
      'Expected `modules[0].type` to be a string, got nothing',
      'Expected `parameters[0].requiresGrad` to be a boolean, got `yes`',
      'Expected `diagnostics[0].severity` to be `error` or `warning`, got `fatal`',
      'Expected `diagnostics[0].notes[0]` to be a string, got `1`',
    ])
  })

  it('collects every problem but lists at most 20 in the message', () => {
    const graph = extractAndCompareGraph()
    for (let index = 0; index < 30; index += 1) {
      graph.nodes.push({ id: `n${index}`, kind: 'derive', inputs: [`missing${index}`] })
    }
    let caught: GraphValidationError | undefined
    try {
      validateGraph(graph)
    } catch (error) {
      caught = error as GraphValidationError
    }
    expect(caught?.problems).toHaveLength(30)
    expect(caught?.message).toContain('(30 problems):')
    expect(caught?.message).toContain('- Expected `nodes[25].inputs[0]` to reference an earlier node, got `missing19` (no such node)')
    expect(caught?.message).not.toContain('missing20')
    expect(caught?.message.endsWith('\n- ... and 10 more')).toBe(true)
  })
})
