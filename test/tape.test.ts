import { describe, expect, it } from 'vitest'
import { LLMInference, Module, Parameter, tapeOf } from 'plait'
import { simulated } from 'plait/endpoints'

const endpoint = simulated({ reply: (request) => `${request.messages[0]!.content}(${request.messages.at(-1)!.content})` })

class TwoStage extends Module<[string], { answer: string }> {
  instruction = new Parameter('Draft.', { description: 'How to draft.' })
  draft = new LLMInference({ alias: 'main', system: this.instruction })
  polish = new LLMInference({ alias: 'main', system: 'Polish.' })
  forward(question: string) {
    return { answer: this.polish(`Improve: ${this.draft(question)}`) }
  }
}

describe('tapes', () => {
  it('are kept in training mode, attached to an object output', async () => {
    const model = new TwoStage().train()
    const value = await model.bind({ endpoints: { main: endpoint } })('q')
    expect(value).toEqual({ answer: 'Polish.(Improve: Draft.(q))' })
    expect(Object.keys(value)).toEqual(['answer'])
    const tape = tapeOf(value)!
    expect(tape.value).toBe(value)
    expect(tape.output).toEqual({ object: { answer: { node: 'polish' } } })
    expect(tape.nodes.map((node) => [node.id, node.kind, node.module, node.inputs, node.inputValues, node.received ?? null, node.output])).toEqual([
      ['draft', 'call', 'draft', [], [], ['q'], 'Draft.(q)'],
      ['render', 'render', '', ['draft'], ['Draft.(q)'], null, 'Improve: Draft.(q)'],
      ['polish', 'call', 'polish', ['render'], ['Improve: Draft.(q)'], ['Improve: Draft.(q)'], 'Polish.(Improve: Draft.(q))'],
    ])
    expect(tape.nodes[1]!.template).toEqual(['Improve: ', ''])
    expect(tape.nodes[0]!.details!.parameters).toEqual([model.instruction])
    expect(tape.nodes[0]!.details!.system).toBe('Draft.')
    expect(tape.nodes[2]!.details!.parameters).toBeUndefined()
    expect(tape.nodes[0]!.loc?.file).toBe('test/tape.test.ts')
    expect(tape.nodes[2]!.startMs).toBeGreaterThanOrEqual(tape.nodes[0]!.endMs!)
  })

  it('are not kept in eval mode unless asked for', async () => {
    const model = new TwoStage()
    const pipeline = model.bind({ endpoints: { main: endpoint } })
    expect(tapeOf(await pipeline('q'))).toBeUndefined()
    expect(tapeOf(await pipeline.run(['q'], { record: true }))).toBeDefined()
    model.train()
    expect(tapeOf(await pipeline('q'))).toBeDefined()
    model.eval()
    expect(tapeOf(await pipeline('q'))).toBeUndefined()
  })

  it('come beside any value from record()', async () => {
    class Plain extends Module<[string], string> {
      call = new LLMInference({ alias: 'main', system: 'S' })
      forward(input: string): string {
        return this.call(input)
      }
    }
    const { value, tape } = await new Plain().bind({ endpoints: { main: endpoint } }).record(['x'])
    expect(value).toBe('S(x)')
    expect(tape.nodes.map((node) => node.id)).toEqual(['call'])
    expect(tapeOf(value)).toBeUndefined()
  })

  it('name the node a dynamic result came from', async () => {
    class PerLine extends Module<[string], string[]> {
      lister = new LLMInference({ alias: 'main', system: 'LIST' })
      detail = new LLMInference({ alias: 'main', system: 'D' })
      forward(topic: string): string[] {
        return this.lister(topic)
          .split(',')
          .map((item) => this.detail(item))
      }
    }
    const lists = simulated({ reply: (request) => (request.messages[0]!.content === 'LIST' ? 'a,b' : 'detail') })
    const { tape } = await new PerLine().bind({ endpoints: { main: lists } }).record(['t'])
    const map = tape.nodes.find((node) => node.label === '.map()')!
    const collect = tape.nodes.find((node) => node.id === map.from)!
    expect(collect.label).toBe('collect')
    expect(collect.inputs).toEqual(['detail', 'detail_2'])
  })
})
