import { describe, expect, it } from 'vitest'
import { LLMInference, Module, ModuleDict, ModuleList, Parameter, Sequential } from 'plait'
import { modulePaths } from './module-paths.js'

const leaf = (system: string) => new LLMInference({ alias: 'fast', system })

class Inner extends Module<[string], string> {
  call = leaf('inner')
  forward(input: string): string {
    return this.call(input)
  }
}

class Tree extends Module<[string], string> {
  shared = new Inner()
  again = this.shared
  list = [leaf('a'), [leaf('b'), { deep: leaf('c') }]]
  heads = { title: leaf('t'), tone: new Parameter('Warm.', { description: 'Tone.' }), self: null as unknown }
  chain = new Sequential(new Inner(), leaf('s'))
  named = new ModuleDict({ left: leaf('l'), right: this.shared })
  listed = new ModuleList([leaf('x')])
  notAModule = { count: 3, at: new Date(0), items: [1, 2] }
  forward(input: string): string {
    return this.shared(input)
  }
}

describe('modulePaths', () => {
  it('gives what namedModules() gives, containers and cycles included', () => {
    const tree = new Tree()
    tree.heads.self = tree.heads
    const expected = new Map([...tree.namedModules()].map(([path, module]) => [module, path]))
    const paths = modulePaths(tree)
    expect([...paths]).toEqual([...expected])
    expect([...paths.values()]).toContain('list.1.1.deep')
    expect([...paths.values()]).toContain('named.left')
  })

  it('asks a root that overrides namedModules()', () => {
    class Custom extends Module<[], string> {
      hidden = leaf('h')
      override *namedModules(): Iterable<[string, Module]> {
        yield ['', this]
        yield ['renamed', this.hidden]
      }
      forward(): string {
        return ''
      }
    }
    const custom = new Custom()
    expect([...modulePaths(custom).values()]).toEqual(['', 'renamed'])
  })
})
