import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { feedbackOf, loadParameters, saveParameters, SFAOptimizer, TextualGradientDescent, train, type TrainingProgress } from 'plait'
import { simulated, type CompletionRequest } from 'plait/endpoints'
import {
  scriptedAggregator,
  scriptedClassifier,
  scriptedUpdater,
  TicketClassifier,
  trainingSet,
  triageLoss,
  validationSet,
} from '../../fixtures/optimize-prompt.js'
import { systemOf, userOf } from './support.js'

const isAggregator = (request: CompletionRequest) => systemOf(request).startsWith('You combine several items')

describe('train()', () => {
  it('raises the validation score on the scripted world and reports every step', async () => {
    const model = new TicketClassifier()
    const classifier = simulated({ reply: scriptedClassifier, maxConcurrent: 3 })
    const optimizerEndpoint = simulated({ reply: (request) => (isAggregator(request) ? scriptedAggregator(request) : scriptedUpdater(request)) })
    const progress: TrainingProgress[] = []
    const history = await train({
      model,
      loss: triageLoss,
      optimizer: new SFAOptimizer(model).bind({ endpoints: { optimizer: optimizerEndpoint } }),
      data: trainingSet,
      validation: validationSet,
      endpoints: { model: classifier },
      epochs: 2,
      batchSize: 4,
      pricing: { 'simulated': { inputPerMillion: 1, outputPerMillion: 2 } },
      onProgress: (item) => progress.push(item),
    })
    expect(history.initialValidationScore).toBe(0)
    expect(history.bestValidationScore).toBe(1)
    expect(history.steps.map((step) => step.validationScore)).toEqual([0.5, 0.875, 1, 1, 1, 1])
    expect(history.steps.map((step) => step.trainScore)).toEqual([0, 0.5, 0.75, 1, 1, 1])
    expect(history.steps.map((step) => step.rolledBack)).toEqual([false, false, false, false, false, false])
    expect(history.bestStep).toBe(3)
    expect(history.steps[0]!.changes.instructions!.after).toContain('Reply with only the label in lowercase')
    expect(history.parameters.instructions).toMatch(/Rule: password resets, login and sign-in problems are account issues/)
    expect(model.instructions.value).toBe(history.parameters.instructions)
    expect(model.training).toBe(false)
    expect(feedbackOf(model.instructions)).toEqual([])
    // Runs went through the endpoint's limits; every call is counted.
    expect(classifier.stats.maxInFlight).toBe(3)
    expect(history.usage.calls).toBe(classifier.stats.requests + optimizerEndpoint.stats.requests)
    expect(history.usage.byAlias.model!.calls).toBe(classifier.stats.requests)
    expect(history.usage.cost).toBeGreaterThan(0)
    expect(history.steps.reduce((sum, step) => sum + step.usage.calls, 0) + validationSet.length).toBe(history.usage.calls)
    expect(progress.map((item) => [item.step, item.validationScore])).toEqual([
      [0, 0],
      [1, 0.5],
      [2, 0.875],
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 1],
    ])
  })

  it('rolls back a step that made validation worse, and tells the optimizer', async () => {
    const model = new TicketClassifier()
    const updates: string[] = []
    const optimizerEndpoint = simulated({
      reply: (request) => {
        if (isAggregator(request)) return scriptedAggregator(request)
        updates.push(userOf(request))
        // The second update is harmful: it drops the format instruction.
        return updates.length === 2 ? 'Classify the support ticket. Explain your reasoning in full.' : scriptedUpdater(request)
      },
    })
    const history = await train({
      model,
      loss: triageLoss,
      optimizer: new TextualGradientDescent(model).bind({ endpoints: { optimizer: optimizerEndpoint } }),
      data: trainingSet,
      validation: validationSet,
      endpoints: { model: simulated({ reply: scriptedClassifier }) },
      batchSize: 4,
    })
    const [first, harmful, third] = history.steps
    expect(first!.validationScore).toBe(0.5)
    expect(harmful!.changes.instructions!.after).toBe('Classify the support ticket. Explain your reasoning in full.')
    expect(harmful!.validationScore).toBe(0)
    expect(harmful!.rolledBack).toBe(true)
    expect(harmful!.parameters).toEqual(first!.parameters)
    expect(updates[2]).toContain('Earlier updates of this parameter made the results worse and were undone; do not repeat them:\n<<<\nClassify the support ticket. Explain your reasoning in full.\n>>>')
    expect(third!.validationScore).toBeGreaterThan(first!.validationScore!)
    expect(history.bestValidationScore).toBe(third!.validationScore)
    expect(history.bestStep).toBe(3)
  })

  it('checks its options', async () => {
    const model = new TicketClassifier()
    const optimizer = new SFAOptimizer(model)
    const base = { model, loss: triageLoss, optimizer, data: trainingSet, endpoints: { model: simulated() } }
    await expect(train({ ...base, data: [] })).rejects.toThrow(/Expected `data` to hold at least one example/)
    await expect(train({ ...base, batchSize: 0 })).rejects.toThrow(/Expected `batchSize` to be a positive integer/)
    await expect(train({ ...base, data: [{ question: 'x' } as never] })).rejects.toThrow(/Expected `data\[0\]` to be `\{ input, target \}`/)
    await expect(train({ ...base, optimizer: new SFAOptimizer(new TicketClassifier()) })).rejects.toThrow(/Expected the optimizer to own parameters of the model/)
  })
})

describe('parameters as JSON', () => {
  it('save and load, and an unknown key is an error', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'plait-learning-'))
    try {
      const file = join(folder, 'params.json')
      const trained = new TicketClassifier()
      trained.instructions.value = 'Reply with only the label.'
      await saveParameters(trained, file)
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ instructions: 'Reply with only the label.' })
      const fresh = await loadParameters(new TicketClassifier(), file)
      expect(fresh.stateDict()).toEqual(trained.stateDict())
      await writeFile(file, JSON.stringify({ instructions: 'x', other: 'y' }))
      await expect(loadParameters(new TicketClassifier(), file)).rejects.toThrow(/unknown: `other`/)
      await writeFile(file, '{not json')
      await expect(loadParameters(new TicketClassifier(), file)).rejects.toThrow(/to hold parameter values as JSON/)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})
