/**
 * The contract between the compiler and the runtime, exercised with hand-written "compiled"
 * forward() code of the shape the compiler emits.
 */
import { describe, expect, it } from 'vitest'
import { LLMInference, Module, NodeError, type NodeRecord } from 'plait'
import { simulated, type CompletionRequest } from 'plait/endpoints'
import { enter } from './compiled.js'

const loc = (line: number) => ({ file: 'app.ts', line, column: 5 })
const userText = (request: CompletionRequest) => request.messages.at(-1)!.content
const systemText = (request: CompletionRequest) => request.messages[0]!.content

function recordingEndpoint(latencyMs = 5) {
  const seen: string[] = []
  const endpoint = simulated({
    latencyMs,
    reply: (request) => {
      seen.push(systemText(request))
      if (systemText(request) === 'CLASSIFY') return userText(request).includes('urgent') ? 'yes' : 'no'
      if (systemText(request) === 'LIST') return 'a,b,c'
      return `${systemText(request)}(${userText(request)})`
    },
  })
  return { endpoint, seen }
}

// forward(ticket) {
//   const label = this.classify(ticket)
//   if (label === 'yes') return this.escalate(`Urgent: ${ticket}`)
//   return this.reply(ticket)
// }
class Triage extends Module<[string], string> {
  classify = new LLMInference({ alias: 'main', system: 'CLASSIFY' })
  escalate = new LLMInference({ alias: 'main', system: 'ESCALATE' })
  reply = new LLMInference({ alias: 'main', system: 'REPLY' })
  forward(ticket: string): string {
    const $ = enter(this)
    const label = $.call(this.classify, 'label', [ticket], loc(2))
    return $.cond(
      'return',
      $.derive('test', [label], (label: string) => label === 'yes', loc(3)),
      () => $.call(this.escalate, 'return_2', [$.render('render', ['Urgent: ', ''], [ticket], loc(3))], loc(3)),
      () => $.call(this.reply, 'return_3', [ticket], loc(4)),
      loc(3),
    ) as string
  }
}

describe('compiled forward() runtime', () => {
  it('runs only the taken branch of a conditional on an LLM result', async () => {
    const { endpoint, seen } = recordingEndpoint()
    const pipeline = new Triage().bind({ endpoints: { main: endpoint } })
    expect(await pipeline('urgent: server down')).toBe('ESCALATE(Urgent: urgent: server down)')
    expect(seen).toEqual(['CLASSIFY', 'ESCALATE'])
    seen.length = 0
    expect(await pipeline('thanks')).toBe('REPLY(thanks)')
    expect(seen).toEqual(['CLASSIFY', 'REPLY'])
  })

  it('uses the static ids and locations, with no stack capture', async () => {
    const { endpoint } = recordingEndpoint()
    const records: NodeRecord[] = []
    const { tape } = await new Triage().bind({ endpoints: { main: endpoint } }).record(['urgent'], { onNode: (record) => records.push(record) })
    expect(tape.nodes.map((node) => [node.id, node.kind, node.inputs])).toEqual([
      ['label', 'call', []],
      ['test', 'derive', ['label']],
      ['return', 'cond', ['test']],
      ['return_2', 'call', []],
    ])
    expect(tape.nodes[0]!.loc).toEqual(loc(2))
    expect(tape.nodes[2]!.loc).toEqual(loc(3))
  })

  it('takes the fast path on plain values', () => {
    class Plain extends Module<[number], unknown> {
      forward(n: number) {
        const $ = enter(this)
        return {
          sum: $.derive('sum', [n, 2], (a: number, b: number) => a + b, loc(1)),
          text: $.render('text', ['n=', ''], [n], loc(2)),
          pick: $.select('pick', { a: 1 }, 'a', loc(3)),
          branch: $.cond('branch', n > 1, () => 'big', () => 'small', loc(4)),
          mapped: $.map('mapped', [1, 2], (x: number) => x * n, loc(5)),
        }
      }
    }
    return expect(new Plain().bind({ endpoints: {} })(3)).resolves.toEqual({ sum: 5, text: 'n=3', pick: 1, branch: 'big', mapped: [3, 6] })
  })

  it('maps over an array returned by an LLM once it resolves', async () => {
    class PerItem extends Module<[string], string[]> {
      lister = new LLMInference({ alias: 'main', system: 'LIST' })
      detail = new LLMInference({ alias: 'main', system: 'D' })
      forward(topic: string): string[] {
        const $ = enter(this)
        const list = $.call(this.lister, 'list', [topic], loc(1))
        const items = $.derive('items', [list], (list: string) => list.split(','), loc(2))
        return $.map('details', items, (item: string) => $.call(this.detail, 'detail', [item], loc(3)), loc(3)) as string[]
      }
    }
    const { endpoint, seen } = recordingEndpoint()
    expect(await new PerItem().bind({ endpoints: { main: endpoint } })('t')).toEqual(['D(a)', 'D(b)', 'D(c)'])
    expect(seen).toEqual(['LIST', 'D', 'D', 'D'])
  })

  it('keeps side effects in program order without blocking LLM calls', async () => {
    const log: string[] = []
    class Effects extends Module<[string], string> {
      slow = new LLMInference({ alias: 'slow', system: 'SLOW' })
      fast = new LLMInference({ alias: 'main', system: 'FAST' })
      forward(input: string): string {
        const $ = enter(this)
        const a = $.call(this.slow, 'a', [input], loc(1))
        $.effect('log', [a], (a: string) => log.push(`slow done: ${a}`), loc(2))
        const b = $.call(this.fast, 'b', [input], loc(3))
        $.effect('log_2', [b], (b: string) => log.push(`fast done: ${b}`), loc(4))
        $.effect('log_3', ['plain'], (text: string) => log.push(text), loc(5))
        return b as string
      }
    }
    const fastSeen: number[] = []
    const started = performance.now()
    const endpoints = {
      slow: simulated({ latencyMs: 80, reply: 'S' }),
      main: simulated({ latencyMs: 5, reply: () => (fastSeen.push(performance.now() - started), 'F') }),
    }
    expect(await new Effects().bind({ endpoints })('x')).toBe('F')
    // The fast call was not held back by the effect waiting on the slow call...
    expect(fastSeen[0]).toBeLessThan(60)
    // ...but the effects ran in program order.
    expect(log).toEqual(['slow done: S', 'fast done: F', 'plain'])
  })

  it('names the node and its static location when a derived expression throws', async () => {
    class Throws extends Module<[string], unknown> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      forward(input: string) {
        const $ = enter(this)
        const a = $.call(this.a, 'a', [input], loc(1))
        return $.derive('parsed', [a], (text: string) => JSON.parse(text), loc(7))
      }
    }
    const { endpoint } = recordingEndpoint()
    const error = await new Throws()
      .bind({ endpoints: { main: endpoint } })('x')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as Error).message).toMatch(/^Node `parsed` \(derive in the root module, made at app\.ts:7:5\) failed: /)
  })

  it('hands the resolved test value to the branch (`a || b`)', async () => {
    class Or extends Module<[string], string> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      b = new LLMInference({ alias: 'main', system: 'B' })
      forward(input: string): string {
        const $ = enter(this)
        const first = $.call(this.a, 'first', [input], loc(1))
        return $.cond('or', first, (value: string) => `kept ${value}`, () => $.call(this.b, 'b', [input], loc(1)), loc(1)) as string
      }
    }
    const { endpoint, seen } = recordingEndpoint()
    expect(await new Or().bind({ endpoints: { main: endpoint } })('x')).toBe('kept A(x)')
    expect(seen).toEqual(['A'])
  })

  it('orders the side effects of a branch between those made before and after it', async () => {
    const log: string[] = []
    class Ordered extends Module<[string], string> {
      slow = new LLMInference({ alias: 'slow', system: 'SLOW' })
      fast = new LLMInference({ alias: 'main', system: 'FAST' })
      forward(input: string): string {
        const $ = enter(this)
        $.effect('first', [], () => log.push('first'), loc(1))
        const test = $.call(this.slow, 'test', [input], loc(2))
        $.cond('if', test, () => $.effect('branch', [$.call(this.fast, 'inner', [input], loc(3))], (value: string) => log.push(`branch ${value}`), loc(3)), () => undefined, loc(2), true)
        $.effect('after', [], () => log.push('after'), loc(4))
        return $.call(this.fast, 'out', [input], loc(5)) as string
      }
    }
    const endpoints = { slow: simulated({ latencyMs: 30, reply: 'S' }), main: simulated({ latencyMs: 1, reply: 'F' }) }
    expect(await new Ordered().bind({ endpoints })('x')).toBe('F')
    expect(log).toEqual(['first', 'branch F', 'after'])
  })

  it('maps over an array that is there at once, even when its items are pending', async () => {
    const started: string[] = []
    class Fan extends Module<[string], string[]> {
      slow = new LLMInference({ alias: 'slow', system: 'SLOW' })
      detail = new LLMInference({ alias: 'main', system: 'D' })
      forward(input: string): string[] {
        const $ = enter(this)
        const items = [input, $.call(this.slow, 'slow', [input], loc(1))]
        return $.map('map', items, (item: string) => $.call(this.detail, 'detail', [item], loc(2)), loc(2)) as string[]
      }
    }
    const endpoints = {
      slow: simulated({ latencyMs: 40, reply: 'S' }),
      main: simulated({ latencyMs: 1, reply: (request) => (started.push(userText(request)), `D(${userText(request)})`) }),
    }
    expect(await new Fan().bind({ endpoints })('x')).toEqual(['D(x)', 'D(S)'])
    // The first item did not wait for the second.
    expect(started).toEqual(['x', 'S'])
  })

  it('runs the rest of forward() after a pending value, or at once on a plain one', async () => {
    class After extends Module<[string], string> {
      lister = new LLMInference({ alias: 'main', system: 'LIST' })
      forward(input: string): string {
        const $ = enter(this)
        const plain = $.after('plain', ['p'], (items: string[]) => items.join(), loc(1))
        const list = $.derive('split', [$.call(this.lister, 'list', [input], loc(2))], (text: string) => text.split(','), loc(2))
        return $.after('for', list, (items: string[]) => `${plain}:${items.length}`, loc(3)) as string
      }
    }
    const { endpoint } = recordingEndpoint()
    expect(await new After().bind({ endpoints: { main: endpoint } })('x')).toBe('p:3')
  })

  it('waits for a promise a derive returns on plain values, and renders arrays that hold pending values', async () => {
    class Async extends Module<[string], string> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      forward(input: string): string {
        const $ = enter(this)
        const later = $.derive('later', [input], async (value: string) => `${value}!`, loc(1))
        return $.render('text', ['', ' / ', ''], [later, [$.call(this.a, 'a', [input], loc(2)), 'b']], loc(3)) as string
      }
    }
    const { endpoint } = recordingEndpoint()
    expect(await new Async().bind({ endpoints: { main: endpoint } })('x')).toBe('x! / A(x),b')
  })

  it('keeps node ids unique when a static id meets a repeated one', async () => {
    class Repeat extends Module<[string], string[]> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      forward(input: string): string[] {
        const $ = enter(this)
        const out = ['1', '2'].map((item) => $.call(this.a, 'facts', [item + input], loc(1)) as string)
        out.push($.call(this.a, 'facts_2', [input], loc(2)) as string)
        return out
      }
    }
    const { endpoint } = recordingEndpoint()
    const { tape } = await new Repeat().bind({ endpoints: { main: endpoint } }).record(['x'])
    const ids = tape.nodes.map((node) => node.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(['facts', 'facts_2', 'facts_2_2'])
  })
})
