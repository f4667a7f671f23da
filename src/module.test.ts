import { describe, expect, it } from 'vitest'
import { LLMInference, Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList, PlaitError, Sequential } from 'plait'
import { simulated } from 'plait/endpoints'

const shared = new Parameter('Shared instruction.', { description: 'Used by two modules.' })

class Leafy extends Module<[string], string> {
  prompt = new Parameter('Be brief.', { description: 'Length hint.' })
  call = new LLMInference({ alias: 'fast', system: shared })
  forward(input: string): string {
    return this.call(input)
  }
}

class Tree extends Module<[string], string> {
  first = new Leafy()
  second = new Leafy()
  experts = [new LLMInference({ alias: 'fast', system: 'E0' }), new LLMInference({ alias: 'smart', system: shared })]
  heads = { title: new LLMInference({ alias: 'smart', system: 'T' }), tone: new Parameter('Warm.', { description: 'Tone.' }) }
  fixed = new Parameter('Not learnable.', { requiresGrad: false })
  notAModule = { count: 3, name: 'x' }
  forward(input: string): string {
    return this.second(this.first(input))
  }
}

describe('Module', () => {
  it('finds children and parameters from fields, with dotted paths, each once', () => {
    const tree = new Tree()
    expect([...tree.namedModules()].map(([path]) => path)).toEqual(['', 'first', 'first.call', 'second', 'second.call', 'experts.0', 'experts.1', 'heads.title'])
    expect([...tree.namedChildren()].map(([name]) => name)).toEqual(['first', 'second', 'experts.0', 'experts.1', 'heads.title'])
    expect([...tree.namedParameters()].map(([path]) => path)).toEqual(['heads.tone', 'fixed', 'first.prompt', 'first.call.system', 'second.prompt'])
    expect([...tree.parameters()]).toContain(shared)
    expect([...tree.parameters()].filter((parameter) => parameter === shared)).toHaveLength(1)
  })

  it('is callable and its call needs a run', () => {
    const leafy = new Leafy()
    expect(typeof leafy).toBe('function')
    expect(leafy).toBeInstanceOf(Leafy)
    expect(leafy).toBeInstanceOf(Module)
    expect(() => leafy('x')).toThrow(/Leafy was called outside a run.*\.bind\(\{ endpoints/)
    expect(() => leafy.call.forward('x')).toThrow(PlaitError)
  })

  it('runs this.child.forward(x) like this.child(x)', async () => {
    class ViaForward extends Module<[string], string> {
      inner = new Leafy()
      forward(input: string): string {
        return this.inner.forward(input)
      }
    }
    const pipeline = new ViaForward().bind({ endpoints: { fast: simulated({ reply: (request) => `got ${request.messages.at(-1)!.content}` }) } })
    expect(await pipeline('x')).toBe('got x')
    expect(new ViaForward().graph('x').nodes.map((node) => node.id)).toEqual(['input', 'inner.call'])
  })

  it('propagates train() and eval() to every child', () => {
    const tree = new Tree()
    expect(tree.training).toBe(false)
    tree.train()
    expect([...tree.modules()].every((module) => module.training)).toBe(true)
    tree.first.eval()
    expect(tree.first.training).toBe(false)
    expect(tree.first.call.training).toBe(false)
    expect(tree.second.training).toBe(true)
    expect(() => tree.train('yes' as unknown as boolean)).toThrow(/Expected `mode` to be a boolean/)
  })

  it('saves and loads parameter values', () => {
    const tree = new Tree()
    const state = tree.stateDict()
    expect(state).toEqual({
      'heads.tone': 'Warm.',
      fixed: 'Not learnable.',
      'first.prompt': 'Be brief.',
      'first.call.system': 'Shared instruction.',
      'second.prompt': 'Be brief.',
    })
    const other = new Tree()
    other.loadStateDict({ ...state, 'heads.tone': 'Cold.' })
    expect(other.heads.tone.value).toBe('Cold.')
    expect(other.loadStateDict({ fixed: 'Changed.' }).stateDict()['heads.tone']).toBe('Cold.')
    expect(JSON.parse(JSON.stringify(other.stateDict()))).toEqual(other.stateDict())
  })

  it('rejects unknown keys and bad values without changing anything', () => {
    const tree = new Tree()
    expect(() => tree.loadStateDict({ 'heads.tone': 'Cold.', 'heads.nope': 'x', also: 'y' })).toThrow(/unknown: `heads\.nope`, `also`/)
    expect(tree.heads.tone.value).toBe('Warm.')
    expect(() => tree.loadStateDict({ 'heads.tone': 3 as unknown as string })).toThrow(/Expected `state\.heads\.tone` to be a string/)
    expect(() => tree.loadStateDict(null as unknown as Record<string, string>)).toThrow(TypeError)
  })

  it('says what is missing when forward() is not defined', async () => {
    class Empty extends Module<[string], string> {}
    const pipeline = new Empty().bind({ endpoints: {} })
    await expect(pipeline('x')).rejects.toThrow(/Expected Empty to define forward\(\)/)
  })
})

describe('Parameter', () => {
  it('needs a description when learnable', () => {
    expect(() => new Parameter('x')).toThrow(/learnable Parameter to have a `description`/)
    expect(() => new Parameter('x', { description: '  ' })).toThrow(/description/)
    expect(new Parameter('x', { requiresGrad: false }).requiresGrad).toBe(false)
    expect(() => new Parameter(3 as unknown as string, { description: 'd' })).toThrow(/Expected `value` to be a string, got number 3/)
  })

  it('is read at call time', async () => {
    const leafy = new Leafy()
    const systems: string[] = []
    const pipeline = leafy.bind({
      endpoints: {
        fast: simulated({
          reply: (request) => {
            systems.push(request.messages[0]!.content)
            return 'ok'
          },
        }),
      },
    })
    await pipeline('x')
    shared.value = 'Updated instruction.'
    await pipeline('x')
    shared.value = 'Shared instruction.'
    expect(systems).toEqual(['Shared instruction.', 'Updated instruction.'])
  })
})

describe('containers', () => {
  const echo = (tag: string) => new LLMInference({ alias: 'fast', system: tag })
  const endpoints = { fast: simulated({ reply: (request) => `${request.messages[0]!.content}(${request.messages.at(-1)!.content})` }) }

  it('Sequential chains, can be named, and slices into a new container', async () => {
    const chain = new Sequential<[string], string>(echo('A'), echo('B'), echo('C'))
    expect(await chain.bind({ endpoints })('x')).toBe('C(B(A(x)))')
    expect(chain.length).toBe(3)
    expect([...chain.namedModules()].map(([path]) => path)).toEqual(['', '0', '1', '2'])
    const head = chain.slice(0, 2)
    expect(head).toBeInstanceOf(Sequential)
    expect(head.length).toBe(2)
    expect(await head.bind({ endpoints })('x')).toBe('B(A(x))')
    const named = new Sequential({ translate: echo('T'), polish: echo('P') })
    expect([...named.namedChildren()].map(([name]) => name)).toEqual(['translate', 'polish'])
    expect([...named.slice(1).namedChildren()].map(([name]) => name)).toEqual(['polish'])
    expect(named.at('polish')).toBe(named.at(1))
    expect(() => new Sequential(echo('A'), 'nope' as unknown as Module)).toThrow(/Expected module 1 to be a Module, got a string/)
    await expect(new Sequential().bind({ endpoints })('x')).rejects.toThrow(/at least one module/)
  })

  it('ModuleList and ModuleDict hold children and have no forward', async () => {
    class Experts extends Module<[string], string[]> {
      experts = new ModuleList([echo('L'), echo('D')])
      heads = new ModuleDict({ title: echo('T') })
      forward(question: string): string[] {
        return [...this.experts.map((expert) => expert(question)), this.heads.get('title')!(question)]
      }
    }
    const experts = new Experts()
    expect([...experts.namedModules()].map(([path]) => path)).toEqual(['', 'experts', 'experts.0', 'experts.1', 'heads', 'heads.title'])
    expect(await experts.bind({ endpoints })('q')).toEqual(['L(q)', 'D(q)', 'T(q)'])
    experts.experts.push(echo('E'))
    expect(experts.experts.length).toBe(3)
    expect(await experts.bind({ endpoints })('q')).toEqual(['L(q)', 'D(q)', 'E(q)', 'T(q)'])
    class CallsList extends Module<[string], string> {
      list = new ModuleList([echo('L')])
      forward(input: string): string {
        return (this.list as unknown as (input: string) => string)(input)
      }
    }
    await expect(new CallsList().bind({ endpoints })('x')).rejects.toThrow(/ModuleList holds children and has no forward\(\)/)
  })

  it('ParameterList and ParameterDict register parameters', () => {
    class Prompts extends Module<[string], string> {
      hints = new ParameterList([new Parameter('Be brief.', { description: 'Length.' })])
      prompts = new ParameterDict({ tone: new Parameter('Warm.', { description: 'Tone.' }) })
    }
    const prompts = new Prompts()
    expect(Object.keys(prompts.stateDict())).toEqual(['hints.0', 'prompts.tone'])
    expect(() => new ParameterList(['x' as unknown as Parameter])).toThrow(/Expected parameter 0 to be a Parameter/)
  })
})
