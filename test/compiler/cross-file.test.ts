/**
 * Composite children whose class lives in another file: with a resolver, the compiler sees that
 * the field holds a module and inlines the child's compiled graph, as it does for a class of the
 * same file (and as the runtime flattens composites).
 */
import { describe, expect, it } from 'vitest'
import { graphToJSON } from 'plait'
import { compile } from '../../plugin/compiler/index.js'

const files: Record<string, string> = {
  '/repo/summarize.ts': [
    "import { LLMInference, Module } from 'plait'",
    'export class Summarize extends Module<[string], string> {',
    "  first = new LLMInference({ alias: 'main', system: 'FIRST' })",
    "  second = new LLMInference({ alias: 'main', system: 'SECOND' })",
    '  forward(text: string): string {',
    '    return this.second(this.first(text))',
    '  }',
    '}',
    '',
  ].join('\n'),
  '/repo/app.ts': [
    "import { LLMInference, Module } from 'plait'",
    "import { Summarize } from './summarize.js'",
    'export class Pipeline extends Module<[string, string], string> {',
    '  left = new Summarize()',
    '  right = new Summarize()',
    "  join = new LLMInference({ alias: 'main', system: 'JOIN' })",
    '  forward(a: string, b: string): string {',
    '    return this.join(`${this.left(a)} & ${this.right(b)}`)',
    '  }',
    '}',
    '',
  ].join('\n'),
}
const resolve = (specifier: string) => {
  const id = `/repo/${specifier.replace(/^\.\//, '').replace(/\.js$/, '.ts')}`
  return files[id] === undefined ? undefined : { id, source: files[id]! }
}

describe('composite children from another file', () => {
  it('inline the child graph, with module paths, like a same-file child', () => {
    const { graphs, code } = compile(files['/repo/app.ts']!, '/repo/app.ts', { root: '/repo', resolve })
    const [graph] = graphs
    expect(graph!.nodes.map((node) => [node.id, node.kind, node.module, node.inputs])).toEqual([
      ['a', 'input', '', []],
      ['b', 'input', '', []],
      ['left.first', 'call', 'left.first', ['a']],
      ['left.return', 'call', 'left.second', ['left.first']],
      ['right.first', 'call', 'right.first', ['b']],
      ['right.return', 'call', 'right.second', ['right.first']],
      ['render', 'render', '', ['left.return', 'right.return']],
      ['return', 'call', 'join', ['render']],
    ])
    expect(graph!.nodes.find((node) => node.id === 'left.return')!.loc).toMatchObject({ file: 'summarize.ts', line: 6 })
    expect(graph!.modules.map((module) => module.path)).toEqual(['', 'left', 'left.first', 'left.second', 'right', 'right.first', 'right.second', 'join'])
    // The field is known to hold a module: a plain call, no method fallback.
    expect(code).toContain("$.call(this.left, 'left', [a], $L[0])")
  })

  it('gives the same graph as the same file would, but for where the child is written', () => {
    const together = `${files['/repo/summarize.ts']!}${files['/repo/app.ts']!.split('\n').slice(2).join('\n')}`
    const same = compile(together, '/repo/app.ts', { root: '/repo' }).graphs.find((graph) => graph.name === 'Pipeline')!
    const split = compile(files['/repo/app.ts']!, '/repo/app.ts', { root: '/repo', resolve }).graphs[0]!
    const shape = (graph: typeof same) => JSON.parse(graphToJSON({ ...graph, sourceHash: '', nodes: graph.nodes.map(({ loc: _, ...node }) => node) }))
    expect(shape(split)).toEqual(shape(same))
  })

  it('leaves the call as one node without a resolver', () => {
    const { graphs } = compile(files['/repo/app.ts']!, '/repo/app.ts', { root: '/repo' })
    expect(graphs[0]!.nodes.map((node) => node.id)).toEqual(['a', 'b', 'left', 'right', 'render', 'return'])
  })
})
