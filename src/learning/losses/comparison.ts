/** Shared parts of the losses that let an LLM compare candidates. */
import { describe } from '../../parameter.js'
import { fenced, showValue } from '../text.js'

/**
 * The default system prompt of comparing judges (PreferenceLoss, RankingLoss).
 *
 * @example
 * ```ts
 * new PreferenceLoss({ alias: 'judge', criteria, system: `${COMPARE_SYSTEM} Prefer plain language.` })
 * ```
 */
export const COMPARE_SYSTEM =
  'You compare candidate outputs of an LLM pipeline on the criteria you are given, fairly and regardless of their order. Explain concretely what the better candidates do that candidate A does not. Reply with only a JSON object.'

/**
 * Options shared by PreferenceLoss and RankingLoss.
 *
 * @example
 * ```ts
 * const options: ComparisonLossOptions = { alias: 'judge', criteria: 'Which answer is easier to act on?', maxChars: 2000 }
 * ```
 */
export interface ComparisonLossOptions {
  /** Endpoint alias of the judge. */
  alias: string
  /** What makes one candidate better than another. */
  criteria: string
  /** The judge's system prompt. */
  system?: string
  /** How many characters of each candidate the judge is shown. Default 4000. */
  maxChars?: number
}

/** Checks the options and gives them with defaults. */
export function comparisonOptions(options: ComparisonLossOptions, who: string): Required<ComparisonLossOptions> {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected ${who} options to be an object, got ${describe(options)}.`)
  const { alias, criteria, system = COMPARE_SYSTEM, maxChars = 4000 } = options
  if (typeof criteria !== 'string' || criteria.trim() === '') throw new TypeError(`Expected \`criteria\` to be a non-empty string saying what makes an output better, got ${describe(criteria)}.`)
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new TypeError(`Expected \`maxChars\` to be a positive integer, got ${describe(maxChars)}.`)
  return { alias, criteria, system, maxChars }
}

/** `A`, `B`, ... `Z`, `AA`... */
export function label(index: number): string {
  let text = ''
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) text = String.fromCharCode(65 + ((rest - 1) % 26)) + text
  return text
}

/** The candidates as labelled, fenced blocks; candidate A is the output being trained. */
export function showCandidates(candidates: readonly unknown[], maxChars: number): string {
  return candidates.map((candidate, index) => `Candidate ${label(index)}${index === 0 ? ' (the output being improved)' : ''}:\n${fenced(showValue(candidate, maxChars))}`).join('\n\n')
}
