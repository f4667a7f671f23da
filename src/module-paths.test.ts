import { describe, expect, it } from 'vitest'
import { LLMInference, Module, ModuleDict, ModuleList, Parameter, Sequential } from 'plait'
import { modulePaths, ModuleTree } from './module-paths.js'

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

describe('ModuleTree', () => {
  it('gives each module its path, following changes to the tree between runs', () => {
    const tree = new Tree()
    const first = new ModuleTree(tree)
    const moved = tree.heads.title
    expect(first.pathOf(moved)).toBe('heads.title')
    expect(first.pathOf(tree.shared.call)).toBe('shared.call')
    // The next run starts from these paths; each is checked as its module is asked for.
    const replacement = leaf('t2')
    tree.heads.title = replacement
    ;(tree as unknown as { later: unknown }).later = moved
    const second = new ModuleTree(tree)
    expect(second.pathOf(tree.shared.call)).toBe('shared.call')
    expect(second.pathOf(replacement)).toBe('heads.title')
    expect(second.pathOf(moved)).toBe('later')
    expect(second.paths.get(moved)).toBe('later')
  })

  it('finds modules in containers and leaves out modules outside the tree', () => {
    const tree = new Tree()
    new ModuleTree(tree)
    const next = new ModuleTree(tree)
    expect(next.pathOf(tree.listed.at(0)!)).toBe('listed.0')
    expect(next.pathOf(tree.named.get('left')!)).toBe('named.left')
    expect(next.pathOf(leaf('elsewhere'))).toBeUndefined()
  })

  it('checks a kept path into a container through the container, without walking the tree again', () => {
    const tree = new Tree()
    new ModuleTree(tree)
    const walkedInto: string[] = []
    for (const [name, container] of [['listed', tree.listed], ['named', tree.named], ['chain', tree.chain]] as const) {
      const own = container.namedChildren.bind(container)
      container.namedChildren = () => {
        walkedInto.push(name)
        return own()
      }
    }
    const next = new ModuleTree(tree)
    expect(next.pathOf(tree.listed.at(0)!)).toBe('listed.0')
    expect(next.pathOf(tree.named.get('left')!)).toBe('named.left')
    expect(next.pathOf(tree.chain.at(1)!)).toBe('chain.1')
    expect(walkedInto).toEqual([])
    // A child replaced in its container is found again by a new walk.
    const replacement = leaf('x2')
    tree.listed.push(replacement)
    expect(next.pathOf(replacement)).toBe('listed.1')
  })
})
