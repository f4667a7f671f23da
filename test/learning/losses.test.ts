import { describe, expect, it } from 'vitest'
import {
  CompositeLoss,
  feedbackOf,
  HumanFeedbackLoss,
  JudgeLoss,
  LLMInference,
  Loss,
  LossValue,
  Module,
  NodeError,
  Parameter,
  PreferenceLoss,
  RankingLoss,
  tapeOf,
  TrainingStep,
  VerifierLoss,
  type LossResult,
} from 'plait'
import { echo, scripted, systemOf, userOf } from './support.js'

const rubric = [
  { score: 1, description: 'Wrong.' },
  { score: 3, description: 'Partly right.' },
  { score: 5, description: 'Right.' },
]

describe('VerifierLoss', () => {
  it('scores a pass 1 and a failure 0 with its message', async () => {
    const loss = new VerifierLoss<string, string>((prediction, target) =>
      prediction === target ? true : prediction === '' ? false : { pass: false, message: `Expected \`${target}\`, got \`${prediction}\`.` },
    )
    const pipeline = loss.bind({ endpoints: {} })
    const pass = await pipeline('a', 'a')
    expect(pass).toBeInstanceOf(LossValue)
    expect([pass.score, pass.critique, pass.received]).toEqual([1, [], ['a', 'a']])
    const fail = await pipeline('b', 'a')
    expect([fail.score, fail.critique]).toEqual([0, ['Expected `a`, got `b`.']])
    expect((await pipeline('', 'a')).critique).toEqual(['The output failed verification.'])
    expect(JSON.parse(JSON.stringify(fail))).toEqual({ score: 0, critique: ['Expected `a`, got `b`.'] })
  })

  it('rejects a check that returns something else', async () => {
    const loss = new VerifierLoss(() => 'yes' as never)
    await expect(loss.bind({ endpoints: {} })('x')).rejects.toThrow(/Expected the check of VerifierLoss to return a boolean or `\{ pass: boolean, message\?: string \}`, got a string/)
    expect(() => new VerifierLoss(42 as never)).toThrow(/Expected the check of VerifierLoss to be a function/)
  })
})

describe('JudgeLoss', () => {
  it('parses the JSON verdict, normalizes the score over the rubric and keeps the raw level', async () => {
    const judge = scripted(() => 'Here:\n```json\n{"score": 3, "critique": ["Names the city but not the country."]}\n```')
    const loss = new JudgeLoss<string, string>({ alias: 'judge', criteria: 'Is the answer complete?', rubric })
    const value = await loss.bind({ endpoints: { judge } })('Paris', 'Paris, France')
    expect([value.score, value.raw, value.critique]).toEqual([0.5, 3, ['Names the city but not the country.']])
    const prompt = userOf(judge.requests[0]!)
    expect(prompt).toContain('Criteria: Is the answer complete?')
    expect(prompt).toContain('- 1: Wrong.\n- 3: Partly right.\n- 5: Right.')
    expect(prompt).toContain('Output to judge:\n<<<\nParis\n>>>')
    expect(prompt).toContain('Reference (what a good output says):\n<<<\nParis, France\n>>>')
    expect(systemOf(judge.requests[0]!)).toMatch(/judge/)
  })

  it('re-asks once on a malformed reply, then fails naming the judge', async () => {
    const replies = ['I think it is fine.', '{"score": 5, "critique": []}']
    const judge = scripted((_request, index) => replies[index] ?? 'still not JSON')
    const loss = new JudgeLoss({ alias: 'judge', criteria: 'Good?', rubric })
    const value = await loss.bind({ endpoints: { judge } })('x')
    expect([value.score, value.raw]).toEqual([1, 5])
    expect(judge.requests).toHaveLength(2)
    expect(judge.requests[1]!.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user'])
    expect(userOf(judge.requests[1]!)).toMatch(/That reply is not usable: it holds no JSON object/)

    const stubborn = scripted(() => '{"score": 4}')
    const error = await loss.bind({ endpoints: { judge: stubborn } })('x').catch((caught: unknown) => caught)
    expect(stubborn.requests).toHaveLength(2)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as Error).message).toMatch(/Expected the judge of `loss` \(JudgeLoss\) to reply with JSON like \{"score": 5, .*even when asked again \("score" must be one of 1, 3, 5, got 4\)/)
  })

  it('checks its rubric', () => {
    expect(() => new JudgeLoss({ alias: 'j', criteria: 'c', rubric: [{ score: 1, description: 'x' }] })).toThrow(/at least two levels like .*, got 1 level\./)
    expect(() => new JudgeLoss({ alias: 'j', criteria: 'c', rubric: [{ score: 1, description: 'x' }, { score: 1, description: 'y' }] })).toThrow(/distinct; 1 appears twice/)
    expect(() => new JudgeLoss({ alias: 'j', criteria: '', rubric })).toThrow(/Expected `criteria` to be a non-empty string/)
  })

  it('sits in the same run as the model: its own call comes after the loss node and learns nothing; the model learns its critique', async () => {
    class Answerer extends Module<[string], string> {
      prompt = new Parameter('Answer.', { description: 'How to answer.' })
      answer = new LLMInference({ alias: 'main', system: this.prompt })
      forward(question: string): string {
        return this.answer(question)
      }
    }
    const judge = scripted(() => '{"score": 1, "critique": "Cite a source."}')
    const model = new Answerer().train()
    const loss = await new TrainingStep(model, new JudgeLoss<string, string>({ alias: 'judge', criteria: 'Sourced?', rubric })).bind({ endpoints: { main: echo(), judge } })('q', undefined)
    expect(tapeOf(loss)!.nodes.map((node) => [node.id, node.kind])).toEqual([
      ['model.answer', 'call'],
      ['loss', 'derive'],
      ['loss.judge', 'call'],
    ])
    const report = await loss.backward()
    expect(report.nodes).toBe(2)
    expect(feedbackOf(model.prompt).map((item) => item.critique)).toEqual([['Cite a source.']])
  })
})

describe('PreferenceLoss and RankingLoss', () => {
  it('scores a preference 1, 0 or 0.5 with the critique of what the other does better', async () => {
    const verdicts = ['{"preferred": "B", "critique": ["B is shorter."]}', '{"preferred": "a"}', '{"preferred": "tie"}']
    const judge = scripted((_request, index) => verdicts[index]!)
    const pipeline = new PreferenceLoss<string, string>({ alias: 'judge', criteria: 'Shorter is better.' }).bind({ endpoints: { judge } })
    const lost = await pipeline('a long answer', 'short')
    expect([lost.score, lost.raw, lost.critique]).toEqual([0, 'B', ['B is shorter.']])
    expect((await pipeline('x', 'y')).score).toBe(1)
    expect((await pipeline('x', 'y')).score).toBe(0.5)
    expect(userOf(judge.requests[0]!)).toContain('Candidate A (the output being improved):\n<<<\na long answer\n>>>\n\nCandidate B:\n<<<\nshort\n>>>')
    await expect(pipeline('x')).rejects.toThrow(/Expected PreferenceLoss to get an alternative/)
  })

  it("ranks the output among candidates: 1 for first, 0 for last; a ranking that is not a permutation is re-asked", async () => {
    const replies = ['{"ranking": ["B", "A"]}', '{"ranking": ["B", "A", "C"], "critique": ["B gives numbers."]}', '{"ranking": ["c", "b", "a"]}']
    const judge = scripted((_request, index) => replies[index]!)
    const pipeline = new RankingLoss<string, string>({ alias: 'judge', criteria: 'Most informative.' }).bind({ endpoints: { judge } })
    const middle = await pipeline('mine', ['theirs', 'other'])
    expect([middle.score, middle.raw, middle.critique]).toEqual([0.5, 2, ['B gives numbers.']])
    expect(judge.requests).toHaveLength(2)
    expect(userOf(judge.requests[1]!)).toMatch(/"ranking" must list each of A, B, C exactly once/)
    const last = await pipeline('mine', ['theirs', 'other'])
    expect([last.score, last.raw]).toEqual([0, 3])
    await expect(pipeline('mine', [])).rejects.toThrow(/Expected RankingLoss to get the other candidates as a non-empty array/)
  })
})

describe('HumanFeedbackLoss', () => {
  it('waits for the answer without blocking the event loop', async () => {
    let release: (result: LossResult) => void = () => {}
    const asked: unknown[] = []
    const loss = new HumanFeedbackLoss<string, string>((prediction, target, { signal }) => {
      asked.push([prediction, target, signal instanceof AbortSignal])
      return new Promise<LossResult>((resolve) => (release = resolve))
    })
    const waiting = loss.bind({ endpoints: {} })('draft', 'goal')
    // Meanwhile other runs and timers go on.
    const other = await new LLMInference({ alias: 'main', system: 'S' }).bind({ endpoints: { main: echo({ latencyMs: 5 }) } })('x')
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(other).toBe('S(x)')
    expect(asked).toEqual([['draft', 'goal', true]])
    release({ score: 0.7, critique: 'Warmer tone.' })
    const value = await waiting
    expect([value.score, value.critique]).toEqual([0.7, ['Warmer tone.']])
  })

  it('rejects a callback that does not return a promise, or a bad score', async () => {
    await expect(new HumanFeedbackLoss((() => ({ score: 1 })) as never).bind({ endpoints: {} })('x')).rejects.toThrow(/to return a promise \(make it `async`\)/)
    await expect(new HumanFeedbackLoss(async () => ({ score: 7 })).bind({ endpoints: {} })('x')).rejects.toThrow(/Expected `score` of the loss to be a number from 0 to 1, got number 7/)
  })
})

describe('CompositeLoss', () => {
  it('weights its parts, names their critiques and runs their LLM calls in the same run', async () => {
    const judge = scripted(() => '{"score": 3, "critique": ["Too formal."]}')
    const loss = new CompositeLoss<string, string>([
      { loss: new VerifierLoss<string, string>((prediction) => ({ pass: prediction.length < 5, message: 'Too long.' })), weight: 3, name: 'length' },
      { loss: new JudgeLoss({ alias: 'judge', criteria: 'Tone?', rubric }), weight: 1, name: 'tone' },
      { loss: new VerifierLoss(() => false), weight: 0 },
    ])
    const recorded = await loss.bind({ endpoints: { judge } }).record(['a long text', undefined])
    const value = recorded.value
    expect(value.score).toBeCloseTo((3 * 0 + 1 * 0.5) / 4)
    expect(value.critique).toEqual(['[length] Too long.', '[tone] Too formal.'])
    expect(value.parts).toEqual([
      { name: 'length', weight: 3, score: 0, critique: ['Too long.'], raw: undefined },
      { name: 'tone', weight: 1, score: 0.5, critique: ['Too formal.'], raw: 3 },
    ])
    expect(recorded.tape.nodes.map((node) => node.id)).toEqual(['loss', 'losses.1.judge'])
  })

  it('validates its weights', () => {
    const part = new VerifierLoss(() => true)
    expect(() => new CompositeLoss([])).toThrow(/non-empty array/)
    expect(() => new CompositeLoss([{ loss: part, weight: -1 }])).toThrow(/Expected the weight of part 0 \(VerifierLoss\) of CompositeLoss to be a finite number >= 0, got number -1/)
    expect(() => new CompositeLoss([{ loss: part, weight: Number.NaN }])).toThrow(/finite number >= 0/)
    expect(() => new CompositeLoss([{ loss: part, weight: 0 }])).toThrow(/at least one weight of CompositeLoss to be positive/)
    expect(() => new CompositeLoss([{ loss: {} as Loss, weight: 1 }])).toThrow(/with a Loss/)
  })
})

describe('custom losses', () => {
  it('subclass Loss with compute() on resolved values', async () => {
    class Length extends Loss<string> {
      compute(prediction: string): LossResult {
        return { score: Math.min(1, prediction.length / 10), critique: prediction.length < 10 ? 'Longer, please.' : [] }
      }
    }
    const value = await new Length().bind({ endpoints: {} })('abcde')
    expect([value.score, value.critique]).toEqual([0.5, ['Longer, please.']])
    await expect(new (class extends Loss {
      compute(): LossResult {
        return { score: 0.5, critique: 3 as never }
      }
    })().bind({ endpoints: {} })('x')).rejects.toThrow(/Expected `critique` of the loss to be a string or an array of strings/)
  })
})
