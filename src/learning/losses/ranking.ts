/** `RankingLoss`: an LLM ranks the output among other candidates. */
import { LLMInference } from '../../inference.js'
import { describe } from '../../parameter.js'
import type { LossResult } from '../loss-value.js'
import { comparisonOptions, label, showCandidates, type ComparisonLossOptions } from './comparison.js'
import { askJson, critiqueField, type ReplyParser } from './json-reply.js'
import { Loss, type LossContext } from './loss.js'

/**
 * Ranks the output (candidate A) among other candidates (the target: an array of at least one):
 * the score is 1 when A ranks first and 0 when it ranks last, linearly between; `raw` is A's rank
 * (1 = best). The critique says what the better candidates do. A malformed reply (not a
 * permutation of the labels) is re-asked once.
 *
 * @example
 * ```ts
 * const loss = new RankingLoss<string, string[]>({ alias: 'judge', criteria: 'Which title is the most informative?' })
 * // step(article, [titleByEditor, titleByOtherModel])
 * ```
 */
export class RankingLoss<Prediction = unknown, Candidate = unknown> extends Loss<Prediction, readonly Candidate[]> {
  readonly judge: LLMInference
  readonly criteria: string
  readonly #maxChars: number

  constructor(options: ComparisonLossOptions) {
    super()
    const { alias, criteria, system, maxChars } = comparisonOptions(options, 'RankingLoss')
    this.criteria = criteria
    this.#maxChars = maxChars
    this.judge = new LLMInference({ alias, system })
  }

  async compute(prediction: Prediction, others: readonly Candidate[] | undefined, context: LossContext): Promise<LossResult> {
    if (!Array.isArray(others) || others.length === 0) {
      throw new TypeError(`Expected RankingLoss to get the other candidates as a non-empty array (its second argument, the target), got ${describe(others)}.`)
    }
    const labels = [prediction, ...others].map((_, index) => label(index))
    const example = `{"ranking": [${[...labels].reverse().map((name) => `"${name}"`).join(', ')}], "critique": ["what the better candidates do that A does not"]}`
    const prompt = [
      `Criteria: ${this.criteria}`,
      showCandidates([prediction, ...others], this.#maxChars),
      `Rank all ${labels.length} candidates from best to worst on the criteria. Reply with only a JSON object like ${example}; "ranking" lists every label (${labels.join(', ')}) once. In "critique", say what would make A better (empty when nothing).`,
    ].join('\n\n')
    const parse: ReplyParser<{ rank: number; critique: string[] }> = (json) => {
      const { ranking, critique } = (json ?? {}) as Record<string, unknown>
      const order = Array.isArray(ranking) ? ranking.map((item) => (typeof item === 'string' ? item.trim().toUpperCase() : item)) : undefined
      if (!order || order.length !== labels.length || labels.some((name) => !order.includes(name))) {
        return { ok: false, issue: `"ranking" must list each of ${labels.join(', ')} exactly once, got ${JSON.stringify(ranking) ?? 'nothing'}` }
      }
      const lines = critiqueField(critique)
      return lines.ok ? { ok: true, value: { rank: order.indexOf('A') + 1, critique: lines.value } } : lines
    }
    const { value } = await askJson(this.judge, prompt, parse, example, `the judge of \`${context.module || 'loss'}\` (${this.constructor.name})`)
    return { score: (labels.length - value.rank) / (labels.length - 1), critique: value.critique, raw: value.rank }
  }
}
