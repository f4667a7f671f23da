import { describe, expect, it } from 'vitest'
import {
  backward,
  feedbackOf,
  LLMInference,
  LossValue,
  Module,
  Parameter,
  PlaitError,
  tapeOf,
  TrainingStep,
  VerifierLoss,
  zeroFeedback,
  type BackwardContext,
  type CustomBackward,
  type Feedback,
  type Tape,
} from 'plait'
import { echo, scripted, systemOf, userOf } from './support.js'

/** Fails unless the prediction equals the target; the critique says both. */
const exact = () => new VerifierLoss<string, string>((prediction, target) => ({ pass: prediction === target, message: `Expected \`${target}\`, got \`${prediction}\`.` }))

class TwoStage extends Module<[string], string> {
  instruction = new Parameter('Draft.', { description: 'How to draft an answer.' })
  style = new Parameter('Polish.', { description: 'How to polish a draft.' })
  fixed = new Parameter('Check.', { requiresGrad: false })
  draft = new LLMInference({ alias: 'main', system: this.instruction })
  polish = new LLMInference({ alias: 'main', system: this.style })
  check = new LLMInference({ alias: 'main', system: this.fixed })
  forward(question: string): string {
    return this.polish(`Improve: ${this.check(this.draft(question))}`)
  }
}

describe('records', () => {
  it('keeps a tape of model and loss in training mode, none in eval mode; backward then says how to get one', async () => {
    const model = new TwoStage()
    const step = new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })
    model.train()
    const loss = await step('q', 'right')
    expect(loss).toBeInstanceOf(LossValue)
    expect(loss.score).toBe(0)
    expect(loss.received).toEqual(['Polish.(Improve: Check.(Draft.(q)))', 'right'])
    const tape = tapeOf(loss)!
    expect(tape.nodes.map((node) => [node.id, node.kind, node.inputs])).toEqual([
      ['model.draft', 'call', []],
      ['model.check', 'call', ['model.draft']],
      ['render', 'render', ['model.check']],
      ['model.polish', 'call', ['render']],
      ['loss', 'derive', ['model.polish']],
    ])
    expect(tape.nodes.at(-1)!.output).toBe(loss)

    model.eval()
    const plain = await step('q', 'right')
    expect(tapeOf(plain)).toBeUndefined()
    await expect(plain.backward()).rejects.toThrow(/Expected a tape to run backward on.*model\.train\(\).*TrainingStep.*record/s)
    // `record: true` gives one without training mode.
    expect(tapeOf(await step.run(['q', 'right'], { record: true }))).toBeDefined()
  })

  it('refuses a second backward unless the first kept the graph', async () => {
    const model = new TwoStage().train()
    const step = new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })
    const loss = await step('q', 'right')
    await loss.backward()
    expect(loss.released).toBe(true)
    await expect(loss.backward()).rejects.toThrow(/Expected `backward\(\)` to run once per loss value.*retainGraph: true/s)

    zeroFeedback(model)
    const kept = await step('q', 'right')
    await kept.backward({ retainGraph: true })
    await kept.backward()
    expect(feedbackOf(model.instruction)).toHaveLength(2)
    await expect(kept.backward()).rejects.toThrow(PlaitError)
  })
})

describe('backward', () => {
  it('gives each learnable prompt the critique with what its node received and produced; a fixed prompt gets none', async () => {
    const model = new TwoStage().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'right')
    const report = await loss.backward()
    expect(report).toMatchObject({ nodes: 5, items: 2, calls: 0 })
    expect(new Set(report.parameters)).toEqual(new Set([model.instruction, model.style]))

    const critique = ['Expected `right`, got `Polish.(Improve: Check.(Draft.(q)))`.']
    const [draft] = feedbackOf(model.instruction)
    expect(draft).toMatchObject({
      parameter: model.instruction,
      description: 'How to draft an answer.',
      node: 'model.draft',
      module: 'model.draft',
      moduleType: 'LLMInference',
      received: 'q',
      produced: 'Draft.(q)',
      score: 0,
      scores: [0],
      critique,
    })
    const [polish] = feedbackOf(model.style)
    expect(polish).toMatchObject({ node: 'model.polish', received: 'Improve: Check.(Draft.(q))', produced: 'Polish.(Improve: Check.(Draft.(q)))', critique })
    expect(feedbackOf(model.fixed)).toEqual([])
    expect(draft!.tape).toBe(tapeOf(loss))
    expect(Object.keys(draft!)).not.toContain('tape')
  })

  it('truncates long values, keeping their start and end', async () => {
    const model = new TwoStage().train()
    const long = `start ${'x'.repeat(5000)} end`
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })(long, 'right')
    await loss.backward({ maxChars: 200 })
    const [item] = feedbackOf(model.instruction)
    expect(item!.received.length).toBeLessThan(300)
    expect(item!.received).toMatch(/^start x+\n… \[4,\d{3} characters omitted\] …\nx+ end$/)
  })

  it('keeps the feedback of two runs with two losses apart', async () => {
    const model = new TwoStage().train()
    const step = new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })
    const [first, second] = await Promise.all([step('q1', 'a'), step('q2', 'b')])
    await Promise.all([first.backward(), second.backward()])
    const items = feedbackOf(model.instruction)
    expect(items).toHaveLength(2)
    const byInput = new Map(items.map((item) => [item.received, item]))
    expect(byInput.get('q1')!.critique).toEqual(['Expected `a`, got `Polish.(Improve: Check.(Draft.(q1)))`.'])
    expect(byInput.get('q1')!.produced).toBe('Draft.(q1)')
    expect(byInput.get('q2')!.critique).toEqual(['Expected `b`, got `Polish.(Improve: Check.(Draft.(q2)))`.'])
    expect(byInput.get('q1')!.tape).not.toBe(byInput.get('q2')!.tape)
  })

  it('routes through multi-input calls, select and derive nodes to every producer', async () => {
    class Routes extends Module<[string], string> {
      listPrompt = new Parameter('List.', { description: 'Lists items.' })
      leftPrompt = new Parameter('Left.', { description: 'Left side.' })
      joinPrompt = new Parameter('Join.', { description: 'Joins.' })
      lister = new LLMInference({ alias: 'main', system: this.listPrompt })
      left = new LLMInference({ alias: 'main', system: this.leftPrompt })
      join = new LLMInference<string, [string, string]>({ alias: 'main', system: this.joinPrompt, combine: (a, b) => `${a}+${b}` })
      forward(input: string): string {
        const first = this.lister(input).split(',')[0]!
        return this.join(this.left(first), input)
      }
    }
    const endpoint = scripted((request) => (systemOf(request) === 'List.' ? 'a,b' : `${systemOf(request)}(${userOf(request)})`))
    const model = new Routes().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: endpoint } })('x', 'y')
    const kinds = tapeOf(loss)!.nodes.map((node) => node.kind)
    expect(kinds).toEqual(['call', 'derive', 'select', 'call', 'call', 'derive'])
    await loss.backward()
    expect(feedbackOf(model.listPrompt).map((item) => item.produced)).toEqual(['a,b'])
    expect(feedbackOf(model.leftPrompt).map((item) => item.produced)).toEqual(['Left.(a)'])
    expect(feedbackOf(model.joinPrompt).map((item) => item.received)).toEqual(['["Left.(a)","x"]'])
  })

  it('reaches the calls of a dynamic map through the node that collected them', async () => {
    class PerItem extends Module<[string], string[]> {
      listPrompt = new Parameter('LIST', { description: 'Lists items.' })
      detailPrompt = new Parameter('D', { description: 'Details one item.' })
      lister = new LLMInference({ alias: 'main', system: this.listPrompt })
      detail = new LLMInference({ alias: 'main', system: this.detailPrompt })
      forward(topic: string): string[] {
        return this.lister(topic)
          .split(',')
          .map((item) => this.detail(item))
      }
    }
    const endpoint = scripted((request) => (systemOf(request) === 'LIST' ? 'a,b,c' : `D(${userOf(request)})`))
    const model = new PerItem().train()
    const loss = await new TrainingStep(model, new VerifierLoss<string[]>(() => ({ pass: false, message: 'Too vague.' }))).bind({ endpoints: { main: endpoint } })('t', undefined)
    expect(tapeOf(loss)!.nodes.map((node) => node.label ?? node.kind)).toContain('collect')
    await loss.backward()
    expect(feedbackOf(model.detailPrompt).map((item) => item.produced).sort()).toEqual(['D(a)', 'D(b)', 'D(c)'])
    expect(feedbackOf(model.listPrompt).map((item) => item.critique)).toEqual([['Too vague.']])
  })

  it('routes through node kinds it does not know (cond, map) by their inputs and the results they adopted', async () => {
    const prompt = new Parameter('P', { description: 'A prompt.' })
    const other = new Parameter('Q', { description: 'Another prompt.' })
    const branch = new Parameter('R', { description: 'The taken branch.' })
    const taken = { text: 'from the branch' }
    const node = (id: string, kind: Tape['nodes'][number]['kind'], inputs: string[], output: unknown, times: [number, number], parameters?: Parameter[]) => ({
      id,
      kind,
      module: id,
      inputs,
      inputValues: [],
      output,
      readyMs: times[0],
      startMs: times[0],
      endMs: times[1],
      loc: undefined,
      ...(parameters ? { details: { parameters } } : {}),
    })
    const tape: Tape = {
      run: 0,
      nodes: [
        node('a', 'call', [], 'A', [0, 1], [prompt]),
        node('b', 'call', [], 'B', [0, 1], [other]),
        // A conditional whose taken branch (made while it ran) gave its value.
        node('test', 'cond', ['a'], taken, [1, 4]),
        node('each', 'map', ['test', 'b'], ['x'], [4, 5]),
        node('branch', 'call', [], taken, [2, 3], [branch]),
      ],
      output: { node: 'each' },
      value: ['x'],
    }
    const report = await backward(tape, { score: 0.25, critique: 'Wrong branch.' })
    expect(report.nodes).toBe(5)
    expect(feedbackOf(prompt).map((item) => [item.node, item.scores, item.critique])).toEqual([['a', [0.25], ['Wrong branch.']]])
    expect(feedbackOf(other)).toHaveLength(1)
    expect(feedbackOf(branch).map((item) => item.produced)).toEqual(['{"text":"from the branch"}'])
    await expect(backward(tape, { score: 2 })).rejects.toThrow(/Expected `score` of the feedback passed to backward\(\) to be a number from 0 to 1/)
    await expect(backward(tape, { score: 0 }, { at: ['nope'] })).rejects.toThrow(/there is no node `nope`/)
  })

  it('combines the feedback of a value with several consumers: critiques concatenated, scores listed; one loss along two paths counts once', async () => {
    /** A composite whose backward() labels the feedback it passes upstream. */
    class Labelled extends Module<[string], string> implements CustomBackward {
      step: LLMInference
      constructor(readonly name: string, readonly score: number) {
        super()
        this.step = new LLMInference({ alias: 'main', system: name })
      }
      forward(input: string): string {
        return this.step(input)
      }
      backward(feedback: Feedback) {
        return { score: this.score, critique: feedback.critique.map((line) => `${this.name} needs: ${line}`) }
      }
    }
    class FanOut extends Module<[string], string> {
      extractPrompt = new Parameter('Extract.', { description: 'Extracts facts.' })
      extract = new LLMInference({ alias: 'main', system: this.extractPrompt })
      title = new Labelled('Title', 0.2)
      summary = new Labelled('Summary', 0.6)
      forward(doc: string): string {
        const facts = this.extract(doc)
        return `${this.title(facts)}\n${this.summary(facts)}`
      }
    }
    const model = new FanOut().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('doc', 'x')
    await loss.backward()
    const [item] = feedbackOf(model.extractPrompt)
    expect(item!.critique).toEqual([`Title needs: Expected \`x\`, got \`${loss.received[0]}\`.`, `Summary needs: Expected \`x\`, got \`${loss.received[0]}\`.`])
    expect(item!.scores).toEqual([0.2, 0.6])
    expect(item!.score).toBeCloseTo(0.4)

    // Without custom rules both paths carry the same feedback: it arrives once.
    class Diamond extends Module<[string], string> {
      extractPrompt = new Parameter('Extract.', { description: 'Extracts facts.' })
      extract = new LLMInference({ alias: 'main', system: this.extractPrompt })
      left = new LLMInference({ alias: 'main', system: 'L' })
      right = new LLMInference({ alias: 'main', system: 'R' })
      forward(doc: string): string {
        const facts = this.extract(doc)
        return `${this.left(facts)}|${this.right(facts)}`
      }
    }
    const diamond = new Diamond().train()
    await (await new TrainingStep(diamond, exact()).bind({ endpoints: { main: echo() } })('doc', 'x')).backward()
    expect(feedbackOf(diamond.extractPrompt).map((entry) => [entry.scores, entry.critique.length])).toEqual([[[0], 1]])
  })

  it("passes upstream what a custom backward() returns; the module's own inner parameters learn from its output's feedback", async () => {
    const calls: Array<{ feedback: Feedback; context: BackwardContext }> = []
    class Rewriter extends Module<[string], string> implements CustomBackward {
      innerPrompt = new Parameter('Inner.', { description: 'Inner step.' })
      inner = new LLMInference({ alias: 'main', system: this.innerPrompt })
      forward(input: string): string {
        return this.inner(`<${input}>`)
      }
      backward(feedback: Feedback, context: BackwardContext) {
        calls.push({ feedback, context })
        return { score: 0.5, critique: feedback.critique.map((line) => `Rewritten: ${line}`) }
      }
    }
    class Chain extends Module<[string], string> {
      firstPrompt = new Parameter('First.', { description: 'First step.' })
      lastPrompt = new Parameter('Last.', { description: 'Last step.' })
      first = new LLMInference({ alias: 'main', system: this.firstPrompt })
      middle = new Rewriter()
      last = new LLMInference({ alias: 'main', system: this.lastPrompt })
      forward(input: string): string {
        return this.last(this.middle(this.first(input)))
      }
    }
    const model = new Chain().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'x')
    const original = [...loss.critique]
    await loss.backward()
    expect(feedbackOf(model.lastPrompt)[0]!.critique).toEqual(original)
    expect(feedbackOf(model.middle.innerPrompt)[0]!.critique).toEqual(original)
    expect(feedbackOf(model.firstPrompt)[0]!.critique).toEqual(original.map((line) => `Rewritten: ${line}`))
    expect(feedbackOf(model.firstPrompt)[0]!.scores).toEqual([0.5])

    expect(calls).toHaveLength(1)
    const { feedback, context } = calls[0]!
    expect(feedback.critique).toEqual(original)
    expect(context.module).toBe('model.middle')
    expect(context.instance).toBe(model.middle)
    expect(context.inputs).toEqual([{ id: 'model.first', value: 'First.(q)' }])
    expect(context.received).toEqual(['First.(q)'])
    expect(context.output).toBe('Inner.(<First.(q)>)')
    expect(context.nodes.map((node) => node.id)).toEqual(['render', 'model.middle.inner'])
  })

  it('lets a leaf module route per input or stop the feedback, and reason with an LLM', async () => {
    const seen: string[] = []
    class Picky extends LLMInference<string, [string, string]> implements CustomBackward {
      async backward(feedback: Feedback, context: BackwardContext) {
        seen.push(await context.llm(`Which input? ${feedback.critique.join(' ')}`, { system: 'You assign blame.' }))
        return context.inputs.map((input) => (input.id === 'model.a' ? { score: 0, critique: 'A was misleading.' } : null))
      }
    }
    class Pair extends Module<[string], string> {
      aPrompt = new Parameter('A', { description: 'A.' })
      bPrompt = new Parameter('B', { description: 'B.' })
      a = new LLMInference({ alias: 'main', system: this.aPrompt })
      b = new LLMInference({ alias: 'main', system: this.bPrompt })
      joinPrompt = new Parameter('J', { description: 'Join.' })
      join = new Picky({ alias: 'main', system: this.joinPrompt, combine: (x, y) => `${x}&${y}` })
      forward(input: string): string {
        return this.join(this.a(input), this.b(input))
      }
    }
    const reasoner = scripted((request) => `blame a (${systemOf(request)})`)
    const model = new Pair().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'x')
    const report = await loss.backward({ llm: reasoner })
    expect(seen).toEqual(['blame a (You assign blame.)'])
    expect(report.calls).toBe(1)
    expect(feedbackOf(model.joinPrompt)[0]!.critique).toEqual(loss.critique)
    expect(feedbackOf(model.aPrompt)[0]!.critique).toEqual(['A was misleading.'])
    expect(feedbackOf(model.bPrompt)).toEqual([])
  })

  it('checks what a custom backward() returns', async () => {
    class Wrong extends Module<[string], string> implements CustomBackward {
      step = new LLMInference({ alias: 'main', system: 'S' })
      forward(input: string): string {
        return this.step(input)
      }
      backward(): never {
        return [null, null] as never
      }
    }
    class Outer extends Module<[string], string> {
      prompt = new Parameter('P', { description: 'P.' })
      first = new LLMInference({ alias: 'main', system: this.prompt })
      wrong = new Wrong()
      forward(input: string): string {
        return this.wrong(this.first(input))
      }
    }
    const loss = await new TrainingStep(new Outer().train(), exact()).bind({ endpoints: { main: echo() } })('q', 'x')
    await expect(loss.backward()).rejects.toThrow(/Expected the value returned by backward\(\) of `model.wrong` \(Wrong\) to have one entry per input \(1: model.first\), got 2/)
  })

  it('takes the tape of a model run when the loss ran on its own', async () => {
    const model = new TwoStage()
    const { value, tape } = await model.bind({ endpoints: { main: echo() } }).record(['q'])
    const loss = await exact().bind({ endpoints: {} })(value, 'right')
    expect(tapeOf(loss)).toBeUndefined()
    await expect(loss.backward()).rejects.toThrow(/pass it: `loss.backward\(\{ tape \}\)`/)
    const report = await loss.backward({ tape })
    expect(report.items).toBe(2)
    expect(feedbackOf(model.style)[0]).toMatchObject({ node: 'polish', critique: loss.critique })
  })

  it('adds nothing when the pass fails part way', async () => {
    const gradients = scripted((request) => {
      if (userOf(request).startsWith('Step: `model.draft`')) throw new Error('gradient endpoint down')
      return 'Be shorter.'
    })
    const model = new TwoStage().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'x')
    await expect(loss.backward({ gradients: 'llm', llm: gradients })).rejects.toThrow(/gradient endpoint down/)
    expect(gradients.requests.length).toBeGreaterThan(1)
    expect([feedbackOf(model.instruction), feedbackOf(model.style)]).toEqual([[], []])
  })

  it('asks for textual gradients only where something learnable is at or above the node', async () => {
    class FixedFirst extends Module<[string], string> {
      secondPrompt = new Parameter('Second.', { description: 'Second step.' })
      first = new LLMInference({ alias: 'main', system: 'First.' })
      second = new LLMInference({ alias: 'main', system: this.secondPrompt })
      third = new LLMInference({ alias: 'main', system: 'Third.' })
      forward(input: string): string {
        return this.third(this.second(this.first(input)))
      }
    }
    const gradients = scripted((request) => `Gradient for ${/Step: `([^`]+)`/.exec(userOf(request))![1]}.`)
    const model = new FixedFirst().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'x')
    const report = await loss.backward({ gradients: 'llm', llm: gradients })
    expect(gradients.requests.map((request) => /Step: `([^`]+)`/.exec(userOf(request))![1])).toEqual(['model.third', 'model.second'])
    expect(report.calls).toBe(2)
    expect(feedbackOf(model.secondPrompt)[0]!.critique).toEqual(['Gradient for model.second.'])
  })

  it("asks an LLM for each call's textual gradient; independent branches go at once, within the endpoint's limits", async () => {
    class Branches extends Module<[string], string> {
      leftPrompt = new Parameter('Left.', { description: 'Left.' })
      rightPrompt = new Parameter('Right.', { description: 'Right.' })
      left = new LLMInference({ alias: 'main', system: this.leftPrompt })
      right = new LLMInference({ alias: 'main', system: this.rightPrompt })
      join = new LLMInference<string, [string, string]>({ alias: 'main', system: 'Join.', combine: (a, b) => `${a}+${b}` })
      forward(input: string): string {
        return this.join(this.left(input), this.right(input))
      }
    }
    const gradientReply = (request: Parameters<Parameters<typeof scripted>[0]>[0]) => `Step ${/Step: `([^`]+)`/.exec(userOf(request))![1]} should say x.`
    for (const maxConcurrent of [8, 1]) {
      const gradients = scripted(gradientReply, { latencyMs: 30, maxConcurrent })
      const model = new Branches().train()
      const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'x')
      const report = await loss.backward({ gradients: 'llm', llm: gradients })
      expect(report.calls).toBe(3)
      expect(gradients.stats.maxInFlight).toBe(maxConcurrent === 1 ? 1 : 2)
      expect(feedbackOf(model.leftPrompt)[0]!.critique).toEqual(['Step model.left should say x.'])
      expect(feedbackOf(model.rightPrompt)[0]!.critique).toEqual(['Step model.right should say x.'])
      // The join's own gradient is what its inputs were asked about.
      const leftAsk = gradients.requests.find((request) => userOf(request).startsWith('Step: `model.left`'))!
      expect(userOf(leftAsk)).toContain('- Step model.join should say x.')
      expect(userOf(leftAsk)).toContain('Instructions it was given (its system prompt):\n<<<\nLeft.\n>>>')
      expect(systemOf(leftAsk)).toMatch(/textual gradients/)
    }
    const model = new Branches().train()
    const loss = await new TrainingStep(model, exact()).bind({ endpoints: { main: echo() } })('q', 'x')
    await expect(loss.backward({ gradients: 'llm' })).rejects.toThrow(/Expected an `llm` endpoint for `gradients: 'llm'`/)
  })
})
