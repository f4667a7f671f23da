import { describe, expect, it } from 'vitest'
import { LLMInference, Module, NodeError, type NodeRecord } from 'plait'
import { defineEndpoint, simulated, type CompletionRequest } from 'plait/endpoints'
import { mostAbortListenersOnOneSignal } from './support/abort-listeners.js'

const userText = (request: CompletionRequest) => request.messages.at(-1)!.content
const systemText = (request: CompletionRequest) => request.messages.find((message) => message.role === 'system')?.content ?? ''

/** An endpoint that answers `system(input)` after `latencyMs`, and logs what it received. */
function echoEndpoint(latencyMs = 0) {
  const received: string[] = []
  const endpoint = simulated({
    latencyMs,
    reply: (request) => {
      received.push(userText(request))
      return `${systemText(request)}(${userText(request)})`
    },
  })
  return { endpoint, received }
}

class Pair extends Module<[a: string, b: string], [string, string]> {
  left = new LLMInference({ alias: 'main', system: 'L' })
  right = new LLMInference({ alias: 'main', system: 'R' })
  forward(a: string, b: string): [string, string] {
    return [this.left(a), this.right(b)]
  }
}

describe('dataflow scheduling', () => {
  it('runs two independent 200 ms calls at once', async () => {
    const { endpoint } = echoEndpoint(200)
    const pipeline = new Pair().bind({ endpoints: { main: endpoint } })
    const started = performance.now()
    expect(await pipeline('x', 'y')).toEqual(['L(x)', 'R(y)'])
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(195)
    expect(elapsed).toBeLessThan(350)
  })

  it('gives a diamond join both results in argument order', async () => {
    class Diamond extends Module<[string], string> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      b = new LLMInference({ alias: 'main', system: 'B' })
      c = new LLMInference<string, [string, string]>({ alias: 'main', system: 'C', combine: (first, second) => `${first}|${second}` })
      forward(input: string): string {
        const first = this.a(input)
        const second = this.b(input)
        return this.c(first, second)
      }
    }
    // B answers before A: the join must still see A's result first.
    const endpoint = simulated({
      latencyMs: (request) => (systemText(request) === 'A' ? 60 : 10),
      reply: (request) => `${systemText(request)}(${userText(request)})`,
    })
    const pipeline = new Diamond().bind({ endpoints: { main: endpoint } })
    expect(await pipeline('x')).toBe('C(A(x)|B(x))')
  })

  it('keeps a chain in order', async () => {
    class Chain extends Module<[string], string> {
      steps = [1, 2, 3, 4].map((step) => new LLMInference({ alias: 'main', system: `S${step}` }))
      forward(input: string): string {
        let value = input
        for (const step of this.steps) value = step(value)
        return value
      }
    }
    const { endpoint, received } = echoEndpoint(5)
    const pipeline = new Chain().bind({ endpoints: { main: endpoint } })
    expect(await pipeline('x')).toBe('S4(S3(S2(S1(x))))')
    expect(received).toEqual(['x', 'S1(x)', 'S2(S1(x))', 'S3(S2(S1(x)))'])
  })

  it('makes template literals and + real dependency edges', async () => {
    class Glue extends Module<[string], string> {
      first = new LLMInference({ alias: 'main', system: 'F' })
      second = new LLMInference({ alias: 'main', system: 'S' })
      third = new LLMInference({ alias: 'main', system: 'T' })
      forward(input: string): string {
        const one = this.first(input)
        const two = this.second('plus: ' + one + '!')
        return this.third(`template: ${one} / ${two}`)
      }
    }
    const { endpoint, received } = echoEndpoint(5)
    const module = new Glue()
    expect(await module.bind({ endpoints: { main: endpoint } })('x')).toBe('T(template: F(x) / S(plus: F(x)!))')
    expect(received).toEqual(['x', 'plus: F(x)!', 'template: F(x) / S(plus: F(x)!)'])
    const graph = module.graph('x')
    const render = graph.nodes.filter((node) => node.kind === 'render')
    expect(render.map((node) => node.inputs)).toEqual([['first'], ['first', 'second']])
    expect(render[1]!.template).toEqual(['template: ', ' / ', ''])
    expect(graph.nodes.find((node) => node.id === 'third')!.inputs).toEqual(['render_2'])
  })

  it('flattens composite children into the caller graph with module paths', async () => {
    class Summarize extends Module<[string], string> {
      draft = new LLMInference({ alias: 'main', system: 'D' })
      polish = new LLMInference({ alias: 'main', system: 'P' })
      forward(text: string): string {
        return this.polish(this.draft(text))
      }
    }
    class Report extends Module<[string], string> {
      encoder = new Summarize()
      title = new LLMInference({ alias: 'main', system: 'T' })
      forward(text: string): string {
        return this.title(this.encoder(text))
      }
    }
    const { endpoint, received } = echoEndpoint()
    const module = new Report()
    const records: NodeRecord[] = []
    expect(await module.bind({ endpoints: { main: endpoint } }).run(['x'], { onNode: (record) => records.push(record) })).toBe('T(P(D(x)))')
    expect(received).toHaveLength(3)
    expect(records.map((record) => [record.id, record.module, record.state, record.inputs])).toEqual([
      ['encoder.draft', 'encoder.draft', 'done', []],
      ['encoder.polish', 'encoder.polish', 'done', ['encoder.draft']],
      ['title', 'title', 'done', ['encoder.polish']],
    ])
    expect(records[2]!.details).toMatchObject({ calls: 1, endpoint: { kind: 'simulated' } })
    expect(records[2]!.startMs).toBeGreaterThanOrEqual(records[1]!.endMs!)
    const calls = module.graph('x').nodes.filter((node) => node.kind === 'call')
    expect(calls.map((node) => [node.id, node.module])).toEqual([
      ['encoder.draft', 'encoder.draft'],
      ['encoder.polish', 'encoder.polish'],
      ['title', 'title'],
    ])
    expect(calls.map((node) => node.inputs)).toEqual([['text'], ['encoder.draft'], ['encoder.polish']])
  })

  it('keeps the shape of the output: arrays, objects and literals', async () => {
    class Shapes extends Module<[string], unknown> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      forward(input: string) {
        const a = this.a(input)
        return { list: [a, 1, 'literal', null], nested: { a, text: `<${a}>`, flag: true }, empty: [], count: 3 }
      }
    }
    const { endpoint } = echoEndpoint()
    expect(await new Shapes().bind({ endpoints: { main: endpoint } })('x')).toEqual({
      list: ['A(x)', 1, 'literal', null],
      nested: { a: 'A(x)', text: '<A(x)>', flag: true },
      empty: [],
      count: 3,
    })
  })

  it('supports property access and method calls on results', async () => {
    class Split extends Module<[string], string[]> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      b = new LLMInference({ alias: 'main', system: 'B' })
      forward(input: string): string[] {
        const lines = this.a(input).split(',')
        return [lines[1]!, this.b(lines[0]!), String(this.a(input).length)]
      }
    }
    const endpoint = simulated({ reply: (request) => (systemText(request) === 'A' ? 'first,second' : `B(${userText(request)})`) })
    const module = new Split()
    expect(await module.bind({ endpoints: { main: endpoint } })('x')).toEqual(['second', 'B(first)', '12'])
    const kinds = module.graph('x').nodes.map((node) => node.kind)
    expect(kinds).toContain('derive')
    expect(kinds).toContain('select')
  })
})

describe("the run's signal", () => {
  /** A custom endpoint that listens to each request's signal, as one passing it to `fetch` would. */
  const listening = () =>
    defineEndpoint({
      kind: 'listening',
      model: 'm',
      maxConcurrent: 100,
      complete: (request, { signal }) =>
        new Promise((resolve) => {
          const stop = () => resolve({ text: '', model: 'm' })
          signal.addEventListener('abort', stop, { once: true })
          setTimeout(() => {
            signal.removeEventListener('abort', stop)
            resolve({ text: userText(request), model: 'm' })
          }, 20)
        }),
    })

  class Wide extends Module<[count: number], string[]> {
    step = new LLMInference({ alias: 'main' })
    forward(count: number): string[] {
      return Array.from({ length: count }, (_, index) => this.step(`item ${index}`))
    }
  }

  it.each([3, 40])('takes a listener from each of %i calls running at once without a leak warning', async (count) => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const pipeline = new Wide().bind({ endpoints: { main: listening() } })
      expect(await pipeline(count)).toHaveLength(count)
      await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
  })
})

describe('LLM inputs', () => {
  it('takes a string or chat messages; an empty system prompt sends no system message', async () => {
    const requests: CompletionRequest[] = []
    const endpoint = simulated({
      reply: (request) => {
        requests.push(request)
        return 'ok'
      },
    })
    class Chat extends Module<[string], string[]> {
      plain = new LLMInference({ alias: 'main' })
      chat = new LLMInference({ alias: 'main', system: 'Be kind.' })
      forward(input: string): string[] {
        const first = this.plain(input)
        return [
          first,
          this.chat([
            { role: 'user', content: input },
            { role: 'assistant', content: first },
            { role: 'user', content: `More about ${first}?` },
          ]),
        ]
      }
    }
    expect(await new Chat().bind({ endpoints: { main: endpoint } })('x')).toEqual(['ok', 'ok'])
    expect(requests[0]!.messages).toEqual([{ role: 'user', content: 'x' }])
    expect(requests[1]!.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'x' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'More about ok?' },
    ])
  })

  it('rejects several inputs unless the module says how to combine them, and bad inputs', async () => {
    class Two extends Module<[string, string], string> {
      call = new LLMInference({ alias: 'main' })
      forward(a: string, b: string): string {
        return (this.call as unknown as (a: string, b: string) => string)(a, b)
      }
    }
    const { endpoint } = echoEndpoint()
    await expect(new Two().bind({ endpoints: { main: endpoint } })('a', 'b')).rejects.toThrow(/Expected one input for `call` \(LLMInference\), got 2\. .*combine/)
    class Bad extends Module<[string], string> {
      call = new LLMInference({ alias: 'main' })
      forward(): string {
        return this.call({ text: 'x' } as unknown as string)
      }
    }
    await expect(new Bad().bind({ endpoints: { main: endpoint } })('a')).rejects.toThrow(/Node `call` .* failed: Expected the input to be a string or chat messages/)
  })

  it('checks endpoints at bind time', () => {
    const { endpoint } = echoEndpoint()
    expect(() => new Pair().bind({ endpoints: {} })).toThrow(/missing: `main` \(used by left, right\)/)
    expect(() => new Pair().bind({ endpoints: { main: { complete() {} } as never } })).toThrow(/Expected `endpoints\.main` to be an endpoint/)
    expect(() => new Pair().bind(undefined as never)).toThrow(TypeError)
    expect(new Pair().bind({ endpoints: { main: endpoint, extra: endpoint } }).endpoints.main).toBe(endpoint)
  })
})

describe('failures', () => {
  it('rejects with the node id and module path; dependents never run; an in-flight sibling is aborted', async () => {
    class Fragile extends Module<[string], string> {
      bad = new LLMInference({ alias: 'main', system: 'BAD' })
      slow = new LLMInference({ alias: 'main', system: 'SLOW' })
      after = new LLMInference({ alias: 'main', system: 'AFTER' })
      forward(input: string): string {
        const bad = this.bad(input)
        const slow = this.slow(input)
        return this.after(`${bad} ${slow}`)
      }
    }
    const seen: string[] = []
    let slowAborted = false
    const endpoint = simulated({
      latencyMs: (request) => (systemText(request) === 'SLOW' ? 5_000 : 20),
      reply: (request, context) => {
        seen.push(systemText(request))
        return 'ok'
      },
      faults: (request) => (systemText(request) === 'BAD' ? { status: 400, message: 'bad request from the test' } : 'ok'),
    })
    const original = endpoint.complete.bind(endpoint)
    endpoint.complete = (request, options) => {
      if (systemText(request) === 'SLOW') options.signal.addEventListener('abort', () => (slowAborted = true))
      return original(request, options)
    }
    const started = performance.now()
    const error = await new Fragile()
      .bind({ endpoints: { main: endpoint } })('x')
      .catch((caught: unknown) => caught)
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as NodeError).nodeId).toBe('bad')
    expect((error as NodeError).modulePath).toBe('bad')
    expect((error as NodeError).message).toMatch(/Node `bad` \(call in module `bad`, made at test\/runtime\.test\.ts:\d+:\d+\) failed: .*bad request from the test/)
    expect(seen).not.toContain('AFTER')
    expect(slowAborted).toBe(true)
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
  })

  it('rejects when forward() itself throws, and aborts what it started', async () => {
    class Throws extends Module<[string], string> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      forward(input: string): string {
        this.a(input)
        throw new Error('forward broke')
      }
    }
    const { endpoint } = echoEndpoint(1_000)
    const started = performance.now()
    await expect(new Throws().bind({ endpoints: { main: endpoint } })('x')).rejects.toThrow('forward broke')
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('honours an AbortSignal', async () => {
    const { endpoint } = echoEndpoint(5_000)
    const pipeline = new Pair().bind({ endpoints: { main: endpoint } })
    const controller = new AbortController()
    const pending = pipeline.run(['x', 'y'], { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('user stop')), 20)
    await expect(pending).rejects.toThrow('user stop')
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
    await expect(pipeline.run(['x', 'y'], { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already')
  })
})

describe('batch and stream', () => {
  class One extends Module<[string], string> {
    a = new LLMInference({ alias: 'main', system: 'A' })
    forward(input: string): string {
      return this.a(input)
    }
  }
  const flaky = () =>
    simulated({
      retries: false,
      latencyMs: (request) => Number(userText(request).split(':')[1] ?? 0),
      reply: (request) => `A(${userText(request)})`,
      faults: (request) => (userText(request).startsWith('fail') ? '500' : 'ok'),
    })

  it('settles each batch item on its own, in input order', async () => {
    const pipeline = new One().bind({ endpoints: { main: flaky() } })
    const items = await pipeline.batch([['a:30'], ['fail:0'], ['c:10']])
    expect(items.map((item) => [item.index, item.ok])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ])
    expect(items[0]).toEqual({ index: 0, ok: true, value: 'A(a:30)' })
    expect((items[1] as { error: unknown }).error).toBeInstanceOf(NodeError)
  })

  it('streams every item once as it settles, or in order on request', async () => {
    const pipeline = new One().bind({ endpoints: { main: flaky() } })
    const inputs: Array<[string]> = [['a:60'], ['b:0'], ['fail:20'], ['d:40']]
    const settled: number[] = []
    for await (const item of pipeline.stream(inputs)) settled.push(item.index)
    expect(settled).toEqual([1, 2, 3, 0])
    const ordered: number[] = []
    for await (const item of pipeline.stream(inputs, { ordered: true })) ordered.push(item.index)
    expect(ordered).toEqual([0, 1, 2, 3])
  })

  it('cancels outstanding work when the loop is left', async () => {
    const endpoint = flaky()
    const pipeline = new One().bind({ endpoints: { main: endpoint } })
    const inputs: Array<[string]> = [['a:0'], ['b:3000'], ['c:3000'], ['d:3000']]
    const started = performance.now()
    for await (const item of pipeline.stream(inputs, { concurrency: 3 })) {
      expect(item.index).toBe(0)
      break
    }
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
    expect(endpoint.stats.inFlight).toBe(0)
  })

  it('leaves no listeners on a signal shared by many runs', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const controller = new AbortController()
    const pipeline = new One().bind({ endpoints: { main: flaky() } })
    for (let round = 0; round < 3; round++) {
      const items = await pipeline.batch(Array.from({ length: 40 }, (_, index): [string] => [`x${index}:1`]), { signal: controller.signal })
      expect(items.every((item) => item.ok)).toBe(true)
    }
    for await (const item of pipeline.stream(Array.from({ length: 40 }, (_, index): [string] => [`y${index}:1`]), { signal: controller.signal })) expect(item.ok).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    process.off('warning', onWarning)
    expect(warnings.map((warning) => warning.message)).toEqual([])
  })

  it('adds no abort listener per run or per call to a shared signal: a batch starts in time linear in its size', async () => {
    // One listener per run on the batch's signal made a batch of n items take n² steps to start
    // (and one per call on a run's signal, a wide run under a budget).
    const pipeline = new One().bind({ endpoints: { main: flaky() } })
    const batchOf = (items: number, signal?: AbortSignal) => async () => {
      const settled = await pipeline.batch(Array.from({ length: items }, (_, index): [string] => [`x${index}:0`]), { signal })
      expect(settled.every((item) => item.ok)).toBe(true)
    }
    expect(await mostAbortListenersOnOneSignal(batchOf(300))).toBeLessThanOrEqual(1)
    expect(await mostAbortListenersOnOneSignal(batchOf(300, new AbortController().signal))).toBeLessThanOrEqual(1)
    class Wide extends Module<[number], string[]> {
      a = new LLMInference({ alias: 'main', system: 'A' })
      forward(count: number): string[] {
        return Array.from({ length: count }, (_, index) => this.a(`x${index}:0`))
      }
    }
    const budgeted = new Wide().bind({ endpoints: { main: flaky() }, budget: { tokens: 1e9 } })
    expect(await mostAbortListenersOnOneSignal(() => budgeted(300))).toBeLessThanOrEqual(1)
  })

  it('shares endpoint limits across the runs of a batch', async () => {
    const endpoint = simulated({ latencyMs: 20, maxConcurrent: 2 })
    const pipeline = new Pair().bind({ endpoints: { main: endpoint } })
    const items = await pipeline.batch(Array.from({ length: 6 }, (_, index): [string, string] => [`a${index}`, `b${index}`]))
    expect(items.every((item) => item.ok)).toBe(true)
    expect(endpoint.stats.requests).toBe(12)
    expect(endpoint.stats.maxInFlight).toBe(2)
  })
})

describe('critical path first', () => {
  class Mixed extends Module<[string], string[]> {
    short = new LLMInference({ alias: 'main', system: 'SHORT' })
    chain = new LLMInference({ alias: 'main', system: 'CHAIN' })
    forward(input: string): string[] {
      const shorts = [1, 2, 3].map((index) => this.short(`${input}${index}`))
      const long = this.chain(this.chain(this.chain(input)))
      return [...shorts, long]
    }
  }
  const order = async (scheduling: 'critical-path' | 'fifo') => {
    const started: string[] = []
    const endpoint = simulated({
      latencyMs: 20,
      maxConcurrent: 2,
      reply: (request) => {
        started.push(systemText(request))
        return 'ok'
      },
    })
    const begin = performance.now()
    await new Mixed().bind({ endpoints: { main: endpoint }, scheduling })('x')
    return { started, elapsed: performance.now() - begin }
  }

  it('starts calls with the most LLM calls ahead of them first, then first come first served', async () => {
    // Two slots: FIFO fills them with the short calls made first and leaves the chain for last
    // (4 rounds of 20 ms); critical path first starts the chain at once (3 rounds).
    // A freed slot goes to the best waiter once the reply has reached its dependents, so the next
    // step of the chain beats the short calls queued before it.
    const critical = await order('critical-path')
    expect(critical.started.slice(0, 3)).toEqual(['CHAIN', 'SHORT', 'CHAIN'])
    const fifo = await order('fifo')
    expect(fifo.started).toEqual(['SHORT', 'SHORT', 'SHORT', 'CHAIN', 'CHAIN', 'CHAIN'])
    expect(critical.elapsed).toBeLessThan(fifo.elapsed)
  })
})
