import { describe, expectTypeOf, it } from 'vitest'
import {
  JudgeLoss,
  LLMInference,
  LossValue,
  Module,
  Parameter,
  RankingLoss,
  SFAOptimizer,
  train,
  TrainingStep,
  VerifierLoss,
  type Example,
  type Pipeline,
  type StepChanges,
  type TrainingHistory,
} from 'plait'
import { simulated } from 'plait/endpoints'

class Answer extends Module<[question: string, context: string], string> {
  prompt = new Parameter('Answer.', { description: 'How to answer.' })
  answer = new LLMInference<string, [string, string]>({ alias: 'main', system: this.prompt, combine: (q, c) => `${q}\n${c}` })
  forward(question: string, context: string): string {
    return this.answer(question, context)
  }
}

describe('learning types', () => {
  it('types a training step: the model arguments, then the target; it gives a LossValue', () => {
    const loss = new VerifierLoss<string, string>((prediction, target) => prediction === target)
    const step = new TrainingStep(new Answer(), loss).bind({ endpoints: { main: simulated() } })
    expectTypeOf(step).toEqualTypeOf<Pipeline<[question: string, context: string, target: string | undefined], LossValue>>()
    expectTypeOf(step).toBeCallableWith('question', 'context', undefined)
    expectTypeOf(step).returns.toEqualTypeOf<Promise<LossValue>>()
    // @ts-expect-error: the target comes last
    expectTypeOf(step).toBeCallableWith('question', 'context')
    // @ts-expect-error: a loss must take the model's output type
    new TrainingStep(new Answer(), new VerifierLoss<number>(() => true))
    expectTypeOf(new RankingLoss<string, string>({ alias: 'j', criteria: 'c' })).toMatchTypeOf<Module<[string, (readonly string[])?], LossValue>>()
    expectTypeOf(new JudgeLoss({ alias: 'j', criteria: 'c', rubric: [{ score: 0, description: 'bad' }, { score: 1, description: 'good' }] }).forward).returns.toEqualTypeOf<LossValue>()
  })

  it('types examples and the history of train()', () => {
    expectTypeOf<{ input: string; target: string }>().toMatchTypeOf<Example<[string], string>>()
    expectTypeOf<{ inputs: [string, string]; target: string }>().toMatchTypeOf<Example<[string, string], string>>()
    expectTypeOf<{ input: string }>().not.toMatchTypeOf<Example<[string, string], string>>()
    expectTypeOf(train<[string, string], string, string>).returns.toEqualTypeOf<Promise<TrainingHistory>>()
    expectTypeOf(new SFAOptimizer([]).step).returns.toEqualTypeOf<Promise<StepChanges>>()
  })
})
