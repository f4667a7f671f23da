/** `JudgeLoss`: an LLM grades the output on a rubric of levels. */
import { PlaitError } from '../../../runtime/errors.js'
import { LLMInference } from '../../inference.js'
import { describe } from '../../parameter.js'
import type { LossResult } from '../loss-value.js'
import { fenced, showValue } from '../text.js'
import { askJson, critiqueField, type ReplyParser } from './json-reply.js'
import { Loss, type LossContext } from './loss.js'

/**
 * One level of a rubric: a score and what an output at that level looks like.
 *
 * @example
 * ```ts
 * const level: RubricLevel = { score: 5, description: 'Correct, complete and concise.' }
 * ```
 */
export interface RubricLevel {
  score: number
  description: string
}

/**
 * Options of a JudgeLoss.
 *
 * @example
 * ```ts
 * const options: JudgeLossOptions = {
 *   alias: 'judge',
 *   criteria: 'Does the summary keep every number of the source?',
 *   rubric: [{ score: 1, description: 'Numbers missing or wrong.' }, { score: 3, description: 'Some missing.' }, { score: 5, description: 'All kept.' }],
 * }
 * ```
 */
export interface JudgeLossOptions {
  /** Endpoint alias of the judge. */
  alias: string
  /** What to judge. */
  criteria: string
  /** The levels, at least two with distinct scores. */
  rubric: readonly RubricLevel[]
  /** The judge's system prompt. */
  system?: string
  /** How many characters of the output and the reference the judge is shown. Default 6000. */
  maxChars?: number
}

/**
 * The judge's default system prompt.
 *
 * @example
 * ```ts
 * new JudgeLoss({ alias: 'judge', criteria, rubric, system: `${JUDGE_SYSTEM} Ignore spelling mistakes.` })
 * ```
 */
export const JUDGE_SYSTEM =
  'You are a strict, fair judge of the outputs of an LLM pipeline. Grade the output on the rubric you are given and explain, concretely and briefly, what is wrong with it and how it should change. Reply with only a JSON object.'

/**
 * An LLM judge with a rubric. The reply is parsed as JSON (`{"score": <level>, "critique": [...]}`);
 * a malformed reply is re-asked once, then the loss fails. The score is normalized to [0, 1] over
 * the rubric's range; the level itself is kept as `raw`. The target, when given, is shown as the
 * reference output.
 *
 * @example
 * ```ts
 * const loss = new JudgeLoss({
 *   alias: 'judge',
 *   criteria: 'Is the answer correct and does it cite its source?',
 *   rubric: [
 *     { score: 1, description: 'Wrong.' },
 *     { score: 2, description: 'Right but no source.' },
 *     { score: 3, description: 'Right, with its source.' },
 *   ],
 * })
 * // in a TrainingStep, or bound alone: await loss.bind({ endpoints: { judge: openai({ model: 'gpt-4o' }) } })(answer, reference)
 * ```
 */
export class JudgeLoss<Prediction = unknown, Target = unknown> extends Loss<Prediction, Target> {
  readonly judge: LLMInference
  readonly criteria: string
  readonly rubric: readonly RubricLevel[]
  readonly #maxChars: number

  constructor(options: JudgeLossOptions) {
    super()
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected JudgeLoss options to be an object, got ${describe(options)}.`)
    const { alias, criteria, rubric, system = JUDGE_SYSTEM, maxChars = 6000 } = options
    if (typeof criteria !== 'string' || criteria.trim() === '') throw new TypeError(`Expected \`criteria\` to be a non-empty string saying what to judge, got ${describe(criteria)}.`)
    this.rubric = checkRubric(rubric)
    if (!Number.isInteger(maxChars) || maxChars < 1) throw new TypeError(`Expected \`maxChars\` to be a positive integer, got ${describe(maxChars)}.`)
    this.criteria = criteria
    this.#maxChars = maxChars
    this.judge = new LLMInference({ alias, system })
  }

  async compute(prediction: Prediction, target: Target | undefined, context: LossContext): Promise<LossResult> {
    const levels = this.rubric.map((level) => level.score)
    const low = Math.min(...levels)
    const high = Math.max(...levels)
    const example = `{"score": ${high}, "critique": ["what is wrong and how the output should change"]}`
    const prompt = [
      `Criteria: ${this.criteria}`,
      `Rubric (pick exactly one level):\n${[...this.rubric].sort((a, b) => a.score - b.score).map((level) => `- ${level.score}: ${level.description}`).join('\n')}`,
      `Output to judge:\n${fenced(showValue(prediction, this.#maxChars))}`,
      target === undefined ? undefined : `Reference (what a good output says):\n${fenced(showValue(target, this.#maxChars))}`,
      `Reply with only a JSON object like ${example}; "score" is one of ${levels.join(', ')}. Leave "critique" empty when nothing should change.`,
    ]
      .filter((part) => part !== undefined)
      .join('\n\n')
    const parse: ReplyParser<{ score: number; critique: string[] }> = (json) => {
      if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, issue: 'it is not a JSON object' }
      const { score, critique } = json as Record<string, unknown>
      const level = typeof score === 'string' && score.trim() !== '' ? Number(score) : score
      if (typeof level !== 'number' || !levels.includes(level)) return { ok: false, issue: `"score" must be one of ${levels.join(', ')}, got ${JSON.stringify(score) ?? 'nothing'}` }
      const lines = critiqueField(critique)
      return lines.ok ? { ok: true, value: { score: level, critique: lines.value } } : lines
    }
    const { value } = await askJson(this.judge, prompt, parse, example, `the judge of \`${context.module || 'loss'}\` (${this.constructor.name})`)
    return { score: (value.score - low) / (high - low), critique: value.critique, raw: value.score }
  }
}

function checkRubric(rubric: unknown): RubricLevel[] {
  if (!Array.isArray(rubric) || rubric.length < 2) {
    throw new TypeError(`Expected \`rubric\` to be an array of at least two levels like \`{ score: 1, description: 'Wrong.' }\`, got ${Array.isArray(rubric) ? `${rubric.length} level${rubric.length === 1 ? '' : 's'}` : describe(rubric)}.`)
  }
  const seen = new Set<number>()
  return rubric.map((level: unknown, index) => {
    const { score, description } = (level ?? {}) as Partial<RubricLevel>
    if (typeof score !== 'number' || !Number.isFinite(score)) throw new TypeError(`Expected \`rubric[${index}].score\` to be a finite number, got ${describe(score)}.`)
    if (typeof description !== 'string' || description.trim() === '') throw new TypeError(`Expected \`rubric[${index}].description\` to be a non-empty string, got ${describe(description)}.`)
    if (seen.has(score)) throw new PlaitError(`Expected the scores of \`rubric\` to be distinct; ${score} appears twice.`)
    seen.add(score)
    return Object.freeze({ score, description })
  })
}
