import { describe, expect, it } from 'vitest'
import { formatSummary, graphToJSON, LLMInference, Module, summarizeGraph, toDot, toMermaid, TraceError, validateGraph } from 'plait'
import { simulated, type CompletionRequest } from 'plait/endpoints'

import { readFileSync } from 'node:fs'

const source = readFileSync(new URL(import.meta.url), 'utf8').split('\n')
/** 1-based line of the first line of this file that contains `marker`. */
const lineOf = (marker: string) => source.findIndex((line) => line.includes(marker)) + 1
const userText = (request: CompletionRequest) => request.messages.at(-1)!.content
const systemText = (request: CompletionRequest) => request.messages[0]!.content
const echo = simulated({ reply: (request) => `${systemText(request)}(${userText(request)})` })
const call = (tag: string) => new LLMInference({ alias: 'main', system: tag })

class ExtractAndCompare extends Module<[doc1: string, doc2: string], string> {
  extractor = call('E')
  comparer = call('C')
  forward(doc1: string, doc2: string): string {
    const facts1 = this.extractor(doc1)
    const facts2 = this.extractor(doc2)
    return this.comparer(`Compare:\n${facts1}\n\nvs:\n${facts2}`)
  }
}

describe('runtime tracer', () => {
  it('records calls on symbolic inputs with render edges and source locations', () => {
    const graph = validateGraph(new ExtractAndCompare().graph('one', 'two'))
    expect(graph.inputs).toEqual(['doc1', 'doc2'])
    expect(graph.nodes.map((node) => [node.id, node.kind, node.inputs])).toEqual([
      ['doc1', 'input', []],
      ['doc2', 'input', []],
      ['extractor', 'call', ['doc1']],
      ['extractor_2', 'call', ['doc2']],
      ['render', 'render', ['extractor', 'extractor_2']],
      ['comparer', 'call', ['render']],
    ])
    expect(graph.nodes[4]!.template).toEqual(['Compare:\n', '\n\nvs:\n', ''])
    expect(graph.output).toEqual({ node: 'comparer' })
    expect(graph.nodes[2]!.loc).toEqual({ file: 'test/tracer.test.ts', line: lineOf('const facts1 = this.extractor(doc1)'), column: source[lineOf('const facts1 = this.extractor(doc1)') - 1]!.indexOf('extractor(doc1)') + 1 })
    expect(graph.modules).toEqual([
      { path: '', type: 'ExtractAndCompare' },
      { path: 'extractor', type: 'LLMInference', alias: 'main' },
      { path: 'comparer', type: 'LLMInference', alias: 'main' },
    ])
  })

  it('turns +, String() and .join into render nodes', () => {
    class Joins extends Module<[string], string[]> {
      a = call('A')
      b = call('B')
      forward(input: string): string[] {
        const a = this.a(input)
        const b = this.b(input)
        return [a + ' and ' + b, String(a), [a, b].join(', ')]
      }
    }
    const graph = new Joins().graph('x')
    const renders = graph.nodes.filter((node) => node.kind === 'render')
    expect(renders.map((node) => [node.template, node.inputs])).toEqual([
      [['', ' and ', ''], ['a', 'b']],
      [['', ''], ['a']],
      [['', ', ', ''], ['a', 'b']],
    ])
    expect(graph.output).toEqual({ array: [{ node: 'render' }, { node: 'render_2' }, { node: 'render_3' }] })
  })

  it('turns property access into select and method calls into derive nodes', () => {
    class Access extends Module<[string], unknown> {
      a = call('A')
      forward(input: string) {
        const reply = this.a(input) as unknown as { title: string; tags: string[] }
        return { title: reply.title, first: reply.tags[0], upper: reply.title.toUpperCase() }
      }
    }
    const graph = new Access().graph('x')
    expect(graph.nodes.map((node) => [node.id, node.kind, node.key ?? node.label ?? null, node.inputs])).toEqual([
      ['input', 'input', 'input', []],
      ['a', 'call', null, ['input']],
      // Properties become nodes when first used: `title` for the method call, the rest at the output.
      ['select', 'select', 'title', ['a']],
      ['derive', 'derive', '.toUpperCase()', ['select']],
      ['select_2', 'select', 'tags', ['a']],
      ['select_3', 'select', 0, ['select_2']],
    ])
  })

  it('unrolls loops over example arrays and keeps object inputs', () => {
    class Fan extends Module<[docs: string[], options: { topic: string }], string> {
      extract = call('E')
      reduce = call('R')
      forward(docs: string[], options: { topic: string }): string {
        const facts = docs.map((doc) => this.extract(doc))
        return this.reduce(`${options.topic}: ${facts.join('\n')}`)
      }
    }
    const graph = new Fan().graph(['a', 'b', 'c'], { topic: 't' })
    expect(graph.nodes.filter((node) => node.kind === 'call').map((node) => node.id)).toEqual(['extract', 'extract_2', 'extract_3', 'reduce'])
    const summary = summarizeGraph(graph)
    expect(summary).toMatchObject({ calls: 4, criticalPath: 2, maxWidth: 3, callsPerAlias: { main: 4 } })
    expect(formatSummary(summary)).toContain('critical path 2')
  })

  it('gives deterministic JSON, Mermaid and DOT', () => {
    const first = new ExtractAndCompare().graph('one', 'two')
    const second = new ExtractAndCompare().graph('three', 'four')
    expect(graphToJSON(first)).toBe(graphToJSON(second))
    expect(toMermaid(first)).toBe(toMermaid(second))
    expect(toMermaid(first)).toContain('extractor --> render')
    expect(toDot(first)).toContain('digraph')
  })

  it('names the line of forward() for arithmetic, iteration and damaged placeholders', () => {
    class Arithmetic extends Module<[string], number> {
      a = call('A')
      forward(input: string): number {
        return (this.a(input) as unknown as number) * 2 // arithmetic here
      }
    }
    class Iterates extends Module<[string], string[]> {
      a = call('A')
      forward(input: string): string[] {
        return [...(this.a(input) as unknown as string[])] // iteration here
      }
    }
    class Slices extends Module<[string], string> {
      a = call('A')
      b = call('B')
      forward(input: string): string {
        return this.b(`${this.a(input)}`.slice(0, 3)) // damage here
      }
    }
    expect(() => new Arithmetic().graph('x')).toThrow(TraceError)
    expect(() => new Arithmetic().graph('x')).toThrow(new RegExp(`Arithmetic or comparison on a pending value at test/tracer\\.test\\.ts:${lineOf('arithmetic here')}:\\d+`))
    expect(() => new Iterates().graph('x')).toThrow(new RegExp(`Iterating a pending value .* at test/tracer\\.test\\.ts:${lineOf('iteration here')}:\\d+`))
    expect(() => new Slices().graph('x')).toThrow(new RegExp(`damaged placeholder\\) at test/tracer\\.test\\.ts:${lineOf('damage here')}:\\d+`))
  })

  it('fails a real run the same way, with the same line', async () => {
    class Arithmetic extends Module<[string], number> {
      a = call('A')
      forward(input: string): number {
        return (this.a(input) as unknown as number) - 1 // run arithmetic here
      }
    }
    await expect(new Arithmetic().bind({ endpoints: { main: echo } })('x')).rejects.toThrow(new RegExp(`at test/tracer\\.test\\.ts:${lineOf('run arithmetic here')}:\\d+`))
  })

  it('treats a user await as a graph break: runs what exists and continues with real values', async () => {
    class Awaits extends Module<[string], Promise<string>> {
      a = call('A')
      b = call('B')
      c = call('C')
      async forward(input: string): Promise<string> {
        const early = this.b(input)
        const first = await this.a(input)
        // A real string now: ordinary code works on it.
        const shortened = first.slice(0, 4) + '|' + first.length
        return this.c(`${shortened} ${early}`)
      }
    }
    const pipeline = new Awaits().bind({ endpoints: { main: echo } })
    expect(await pipeline('xy')).toBe('C(A(xy|5 B(xy))')
  })
})

describe('tracing async forward()', () => {
  class Awaits extends Module<[string], Promise<string>> {
    a = call('A')
    b = call('B')
    async forward(input: string): Promise<string> {
      const first = await this.a(input)
      return this.b(`${first}!`)
    }
  }

  it('shows each user await as an await node', async () => {
    const graph = validateGraph(await new Awaits().graphAsync('x'))
    expect(graph.nodes.map((node) => [node.id, node.kind, node.inputs])).toEqual([
      ['input', 'input', []],
      ['a', 'call', ['input']],
      ['await', 'await', ['a']],
      ['render', 'render', ['await']],
      ['b', 'call', ['render']],
    ])
  })

  it('asks for graphAsync() when forward() is async', () => {
    expect(() => new Awaits().graph('x')).toThrow(/Awaits\.forward\(\) is async; trace it with `await module\.graphAsync/)
  })
})

describe('dynamic fan-out over a pending array', () => {
  class PerLine extends Module<[string], string[]> {
    lister = call('LIST')
    detail = call('D')
    forward(topic: string): string[] {
      return this.lister(topic)
        .split(',')
        .map((item) => this.detail(item))
    }
  }

  it('runs the callback when the array resolves; its calls join the run', async () => {
    const endpoint = simulated({ reply: (request) => (systemText(request) === 'LIST' ? 'a,b,c' : `D(${userText(request)})`) })
    const records: string[] = []
    const result = await new PerLine().bind({ endpoints: { main: endpoint } }).run(['t'], { onNode: (record) => record.kind === 'call' && records.push(record.id) })
    expect(result).toEqual(['D(a)', 'D(b)', 'D(c)'])
    expect(records.sort()).toEqual(['detail', 'detail_2', 'detail_3', 'lister'])
  })

  it('shows as one derive node in a traced graph', () => {
    const graph = new PerLine().graph('t')
    expect(graph.nodes.map((node) => [node.id, node.kind, node.label ?? null])).toEqual([
      ['topic', 'input', 'topic'],
      ['lister', 'call', null],
      ['derive', 'derive', '.split()'],
      ['derive_2', 'derive', '.map()'],
    ])
  })
})
