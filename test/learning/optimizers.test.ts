import { describe, expect, it } from 'vitest'
import {
  feedbackOf,
  LLMInference,
  Module,
  Parameter,
  PlaitError,
  SFAOptimizer,
  TextualGradientDescent,
  TrainingStep,
  VerifierLoss,
  type LossValue,
} from 'plait'
import type { CompletionRequest } from 'plait/endpoints'
import { echo, scripted, systemOf, userOf } from './support.js'

const failing = () => new VerifierLoss<string, string>((prediction, target) => ({ pass: prediction === target, message: `Expected \`${target}\`, got \`${prediction}\`.` }))

class TwoStage extends Module<[string], string> {
  instruction = new Parameter('Draft.', { description: 'How to draft an answer.' })
  style = new Parameter('Polish.', { description: 'How to polish a draft.' })
  fixed = new Parameter('Fixed.', { requiresGrad: false })
  unused = new Parameter('Unused.', { description: 'Read by nothing.' })
  draft = new LLMInference({ alias: 'main', system: this.instruction })
  polish = new LLMInference({ alias: 'main', system: this.style })
  check = new LLMInference({ alias: 'main', system: this.fixed })
  forward(question: string): string {
    return this.polish(this.check(this.draft(question)))
  }
}

/** Runs `count` examples through model and loss and sends each loss backward. */
async function feedback(model: Module<[string], string>, count = 1): Promise<LossValue[]> {
  model.train()
  const step = new TrainingStep(model, failing()).bind({ endpoints: { main: echo() } })
  const losses = await Promise.all(Array.from({ length: count }, (_, index) => step(`q${index}`, 'right')))
  await Promise.all(losses.map((loss) => loss.backward()))
  return losses
}

const isUpdater = (request: CompletionRequest) => systemOf(request).startsWith('You improve one text parameter')
const isAggregator = (request: CompletionRequest) => systemOf(request).startsWith('You combine several items')
const currentValue = (request: CompletionRequest) => /Current value:\n<<<\n([\s\S]*?)\n>>>/.exec(userOf(request))![1]!
/** An optimizer endpoint whose updater appends `+` and whose aggregator summarizes. */
const appending = (options: { latencyMs?: number; maxConcurrent?: number } = {}) =>
  scripted((request) => (isAggregator(request) ? 'Summary: be right.' : `${currentValue(request)}+`), options)

describe('SFAOptimizer', () => {
  it('updates upstream first, shows the upstream change to the downstream update, and returns exactly what changed', async () => {
    const model = new TwoStage()
    await feedback(model)
    const endpoint = appending()
    const optimizer = new SFAOptimizer(model).bind({ endpoints: { optimizer: endpoint } })
    const changes = await optimizer.step()
    expect(changes).toEqual({ instruction: { before: 'Draft.', after: 'Draft.+' }, style: { before: 'Polish.', after: 'Polish.+' } })
    expect([model.instruction.value, model.style.value, model.fixed.value, model.unused.value]).toEqual(['Draft.+', 'Polish.+', 'Fixed.', 'Unused.'])
    const [first, second] = endpoint.requests.map(userOf)
    expect(first).toMatch(/^Parameter: `instruction`\n\nWhat it is for: How to draft an answer\./)
    expect(first).toContain('Upstream parameters changed in this step: none.')
    expect(first).toContain('It produced:\n<<<\nDraft.(q0)\n>>>')
    expect(second).toMatch(/^Parameter: `style`/)
    expect(second).toContain('Upstream parameters already changed in this step (their outputs feed this parameter\'s step; keep the two consistent):\n- `instruction`\n  before:\n<<<\nDraft.\n>>>\n  after:\n<<<\nDraft.+\n>>>')
    expect(optimizer.steps).toBe(1)
  })

  it('shows the conservatism to the updater', async () => {
    const prompts: string[] = []
    for (const conservatism of [0, 1]) {
      const model = new TwoStage()
      await feedback(model)
      const endpoint = appending()
      await new SFAOptimizer([model.instruction], { conservatism }).bind({ endpoints: { optimizer: endpoint } }).step()
      prompts.push(userOf(endpoint.requests[0]!))
    }
    expect(prompts[0]).toContain('Conservatism: 0.00 (0 = rewrite freely, 1 = change as little as possible). Rewrite the value as much as needed')
    expect(prompts[1]).toContain('Conservatism: 1.00 (0 = rewrite freely, 1 = change as little as possible). Keep the value as it is wherever possible: make the smallest edit')
    expect(() => new SFAOptimizer([], { conservatism: 1.5 })).toThrow(/Expected `conservatism` to be a number from 0 \(rewrite freely\) to 1/)
  })

  it('asks again after an empty update, then fails naming the parameter and changes nothing', async () => {
    const model = new TwoStage()
    await feedback(model)
    const flaky = scripted((request, index) => (index === 0 ? '   ' : `${currentValue(request)}!`))
    const changes = await new SFAOptimizer([model.instruction]).bind({ endpoints: { optimizer: flaky } }).step()
    expect(changes).toEqual({ 0: { before: 'Draft.', after: 'Draft.!' } })
    expect(flaky.requests).toHaveLength(2)
    expect(userOf(flaky.requests[1]!)).toMatch(/Your previous reply was empty/)

    const silent = scripted((request) => (currentValue(request) === 'Draft.!' ? 'Draft.!?' : ''))
    const optimizer = new SFAOptimizer(model, { maxRetries: 2 }).bind({ endpoints: { optimizer: silent } })
    const error = await optimizer.step().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PlaitError)
    expect((error as Error).message).toBe(
      "Expected the updater (alias `optimizer`) of SFAOptimizer to reply with a new value for parameter `style`; 3 replies were empty. No parameter was changed. Check the endpoint's model, or raise `maxRetries`.",
    )
    expect(silent.requests.filter((request) => userOf(request).startsWith('Parameter: `style`'))).toHaveLength(3)
    // The upstream update succeeded, but the step is all or nothing.
    expect([model.instruction.value, model.style.value]).toEqual(['Draft.!', 'Polish.'])
  })

  it('plans exactly the calls it makes: one update per parameter, plus one aggregation for several items', async () => {
    const model = new TwoStage()
    await feedback(model, 3)
    const endpoint = appending()
    const optimizer = new SFAOptimizer(model, { aliases: { aggregator: 'cheap', updater: 'optimizer' } }).bind({ endpoints: { optimizer: endpoint, cheap: endpoint } })
    const plan = optimizer.plan()
    expect(plan).toEqual({
      calls: 4,
      byAlias: { cheap: 2, optimizer: 2 },
      parameters: [
        { path: 'instruction', feedback: 3, level: 0, calls: 2 },
        { path: 'style', feedback: 3, level: 1, calls: 2 },
      ],
    })
    await optimizer.step()
    expect(endpoint.requests).toHaveLength(plan.calls)
    expect(endpoint.requests.filter(isAggregator)).toHaveLength(2)
    const aggregation = userOf(endpoint.requests.find(isAggregator)!)
    expect(aggregation).toContain('3 items of feedback:')
    expect(aggregation).toContain('### Item 3')
    expect(userOf(endpoint.requests.filter(isUpdater)[0]!)).toContain('<<<\nSummary: be right.\n>>>')

    optimizer.zeroFeedback()
    expect(optimizer.plan()).toEqual({ calls: 0, byAlias: {}, parameters: [] })
    expect(await optimizer.step()).toEqual({})
    expect(endpoint.requests).toHaveLength(4)
  })

  it("keeps a step's calls within the endpoint's maxConcurrent, running a level's updates in parallel", async () => {
    class Wide extends Module<[string], string> {
      prompts = Array.from({ length: 6 }, (_, index) => new Parameter(`P${index}`, { description: `Prompt ${index}.` }))
      calls = this.prompts.map((prompt) => new LLMInference({ alias: 'main', system: prompt }))
      joiner = new LLMInference<string, string[]>({ alias: 'main', system: 'J', combine: (...parts) => parts.join('|') })
      forward(input: string): string {
        return this.joiner(...this.calls.map((call) => call(input)))
      }
    }
    const model = new Wide()
    await feedback(model)
    const endpoint = appending({ latencyMs: 15, maxConcurrent: 2 })
    const optimizer = new SFAOptimizer(model).bind({ endpoints: { optimizer: endpoint } })
    expect(optimizer.plan().parameters.map((item) => item.level)).toEqual([0, 0, 0, 0, 0, 0])
    const changes = await optimizer.step()
    expect(Object.keys(changes)).toHaveLength(6)
    expect(endpoint.stats.requests).toBe(6)
    expect(endpoint.stats.maxInFlight).toBe(2)
  })

  it('leaves parameters alone that have no feedback, are not learnable or belong to no optimizer', async () => {
    const model = new TwoStage()
    await feedback(model)
    const endpoint = appending()
    const optimizer = new SFAOptimizer([model.style, model.fixed, model.unused]).bind({ endpoints: { optimizer: endpoint } })
    expect(optimizer.plan().parameters.map((item) => item.path)).toEqual(['0'])
    expect(await optimizer.step()).toEqual({ 0: { before: 'Polish.', after: 'Polish.+' } })
    expect(model.instruction.value).toBe('Draft.')
    expect(feedbackOf(model.instruction)).toHaveLength(1)
  })

  it('needs its endpoints before it steps', async () => {
    const optimizer = new SFAOptimizer(new TwoStage(), { aliases: { aggregator: 'a', updater: 'u' } })
    await expect(optimizer.step()).rejects.toThrow('Expected SFAOptimizer to be bound to endpoints before step(); call `optimizer.bind({ endpoints: { a: simulated(), u: simulated() } })`.')
    expect(() => optimizer.bind({ endpoints: { a: echo() } })).toThrow(/Expected an endpoint for the alias `u` that SFAOptimizer calls/)
  })

  it('shows updates that were rejected', async () => {
    const model = new TwoStage()
    await feedback(model)
    const endpoint = appending()
    const optimizer = new SFAOptimizer([model.instruction]).bind({ endpoints: { optimizer: endpoint } })
    const changes = await optimizer.step()
    model.instruction.value = changes[0]!.before
    optimizer.reject(changes)
    await optimizer.step()
    expect(userOf(endpoint.requests[1]!)).toContain('Earlier updates of this parameter made the results worse and were undone; do not repeat them:\n<<<\nDraft.+\n>>>')
  })
})

describe('TextualGradientDescent', () => {
  it('rewrites each parameter with feedback in one call, with a memory of earlier steps', async () => {
    const model = new TwoStage()
    const endpoint = scripted((request) => `${currentValue(request)}*`)
    const optimizer = new TextualGradientDescent(model, { momentum: 1 }).bind({ endpoints: { optimizer: endpoint } })
    await feedback(model, 2)
    expect(optimizer.plan()).toMatchObject({ calls: 2, byAlias: { optimizer: 2 } })
    expect(await optimizer.step()).toEqual({ instruction: { before: 'Draft.', after: 'Draft.*' }, style: { before: 'Polish.', after: 'Polish.*' } })
    expect(endpoint.requests).toHaveLength(2)
    const first = userOf(endpoint.requests[0]!)
    expect(first).toMatch(/^Variable: `instruction`/)
    expect(first).toContain('Feedback on the current value (the gradient):\n### Item 1')
    expect(first).toContain('### Item 2')
    expect(first).not.toContain('Earlier values')

    for (const round of [2, 3]) {
      optimizer.zeroFeedback()
      await feedback(model)
      await optimizer.step()
      const prompt = userOf(endpoint.requests.filter((request) => userOf(request).startsWith('Variable: `instruction`'))[round - 1]!)
      expect(prompt).toContain('Earlier values and the feedback they got (momentum, oldest first):\n### Earlier value 1')
      // momentum 1: only the last step is remembered.
      expect(prompt).not.toContain('### Earlier value 2')
      expect(prompt).toContain(`<<<\n${round === 2 ? 'Draft.' : 'Draft.*'}\n>>>\nFeedback:`)
    }
    expect(optimizer.memoryOf(model.instruction)).toHaveLength(1)
  })

  it('holds its own state: two optimizers in one process do not interfere', async () => {
    const first = new TwoStage()
    const second = new TwoStage()
    await feedback(first)
    await feedback(second)
    const endpoint = scripted((request) => `${currentValue(request)}#`)
    const one = new TextualGradientDescent(first, { momentum: 2 }).bind({ endpoints: { optimizer: endpoint } })
    const two = new TextualGradientDescent(second, { momentum: 2 }).bind({ endpoints: { optimizer: endpoint } })
    one.zeroFeedback()
    expect(feedbackOf(first.instruction)).toEqual([])
    expect(feedbackOf(second.instruction)).toHaveLength(1)
    expect(await one.step()).toEqual({})
    expect(Object.keys(await two.step())).toEqual(['instruction', 'style'])
    expect(first.instruction.value).toBe('Draft.')
    expect(one.memoryOf(first.instruction)).toEqual([])
    expect(two.memoryOf(second.instruction)).toHaveLength(1)
    expect([one.steps, two.steps]).toEqual([1, 1])
  })
})
