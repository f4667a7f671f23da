/** `PreferenceLoss`: an LLM says whether the output is better than an alternative. */
import { LLMInference } from '../../inference.js'
import type { LossResult } from '../loss-value.js'
import { comparisonOptions, showCandidates, type ComparisonLossOptions } from './comparison.js'
import { askJson, critiqueField, type ReplyParser } from './json-reply.js'
import { Loss, type LossContext } from './loss.js'

/**
 * Compares the output (candidate A) with an alternative (candidate B, the target): 1 when the
 * output is preferred, 0 when the alternative is, 0.5 for a tie; the critique says what the
 * alternative does better. `raw` is the verdict (`'A'`, `'B'` or `'tie'`). A malformed reply is
 * re-asked once.
 *
 * @example
 * ```ts
 * const loss = new PreferenceLoss<string, string>({ alias: 'judge', criteria: 'Which reply resolves the customer issue faster?' })
 * // inside a TrainingStep the target is the alternative: step(ticket, baselineReply)
 * ```
 */
export class PreferenceLoss<Prediction = unknown, Alternative = unknown> extends Loss<Prediction, Alternative> {
  readonly judge: LLMInference
  readonly criteria: string
  readonly #maxChars: number

  constructor(options: ComparisonLossOptions) {
    super()
    const { alias, criteria, system, maxChars } = comparisonOptions(options, 'PreferenceLoss')
    this.criteria = criteria
    this.#maxChars = maxChars
    this.judge = new LLMInference({ alias, system })
  }

  async compute(prediction: Prediction, alternative: Alternative | undefined, context: LossContext): Promise<LossResult> {
    if (alternative === undefined) throw new TypeError('Expected PreferenceLoss to get an alternative to compare with as its second argument (the target); got none.')
    const example = '{"preferred": "B", "critique": ["what B does better than A"]}'
    const prompt = [
      `Criteria: ${this.criteria}`,
      showCandidates([prediction, alternative], this.#maxChars),
      `Which candidate is better on the criteria? Reply with only a JSON object like ${example}; "preferred" is "A", "B" or "tie". In "critique", say what would make A better (empty when nothing).`,
    ].join('\n\n')
    const parse: ReplyParser<{ preferred: 'A' | 'B' | 'tie'; critique: string[] }> = (json) => {
      const { preferred, critique } = (json ?? {}) as Record<string, unknown>
      const verdict = typeof preferred === 'string' ? preferred.trim() : preferred
      const normalized = verdict === 'a' || verdict === 'b' ? verdict.toUpperCase() : verdict === 'TIE' || verdict === 'Tie' ? 'tie' : verdict
      if (normalized !== 'A' && normalized !== 'B' && normalized !== 'tie') return { ok: false, issue: `"preferred" must be "A", "B" or "tie", got ${JSON.stringify(preferred) ?? 'nothing'}` }
      const lines = critiqueField(critique)
      return lines.ok ? { ok: true, value: { preferred: normalized, critique: lines.value } } : lines
    }
    const { value } = await askJson(this.judge, prompt, parse, example, `the judge of \`${context.module || 'loss'}\` (${this.constructor.name})`)
    const score = value.preferred === 'A' ? 1 : value.preferred === 'B' ? 0 : 0.5
    return { score, critique: value.critique, raw: value.preferred }
  }
}
