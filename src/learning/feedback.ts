/**
 * Feedback: what flows backward through a run, as gradients do in PyTorch. A loss produces it (a
 * score in [0, 1] and a textual critique); backward passes carry it from each node to the nodes it
 * read, combining it where a value fed several consumers.
 */
import { describe } from '../parameter.js'

/**
 * Feedback on one value: its score(s) and critique.
 *
 * @example
 * ```ts
 * const feedback: Feedback = { score: 0, scores: [0], critique: ['The answer names the wrong city.'] }
 * ```
 */
export interface Feedback {
  /** The mean of `scores`, from 0 (bad) to 1 (good). */
  readonly score: number
  /** Every score that was combined into this feedback, one per loss or consumer. */
  readonly scores: readonly number[]
  /** What is wrong and how it should change, one item per remark. */
  readonly critique: readonly string[]
}

/**
 * Feedback as a loss, a custom `backward()` or a person writes it: a score and an optional critique.
 *
 * @example
 * ```ts
 * const init: FeedbackInit = { score: 0.5, critique: 'Too long; answer in one sentence.' }
 * ```
 */
export interface FeedbackInit {
  /** From 0 (bad) to 1 (good). */
  score: number
  /** One remark or several. */
  critique?: string | readonly string[]
  /** When combining feedback yourself: every score it stands for (their mean should be `score`). */
  scores?: readonly number[]
}

/**
 * Checks `init` and makes it a frozen {@link Feedback}.
 *
 * @example
 * ```ts
 * toFeedback({ score: 0, critique: 'Wrong format.' }) // { score: 0, scores: [0], critique: ['Wrong format.'] }
 * toFeedback({ score: 2 }) // throws: Expected `score` of feedback to be a number from 0 to 1, got number 2 ...
 * ```
 */
export function toFeedback(init: FeedbackInit | Feedback, where = 'feedback'): Feedback {
  if (init === null || typeof init !== 'object') throw new TypeError(`Expected ${where} to be an object like \`{ score: 0.5, critique: ['...'] }\`, got ${describe(init)}.`)
  const score = checkScore(init.score, `\`score\` of ${where}`)
  if (init.scores !== undefined && (!Array.isArray(init.scores) || init.scores.length === 0)) {
    throw new TypeError(`Expected \`scores\` of ${where} to be a non-empty array of numbers from 0 to 1, got ${describe(init.scores)}.`)
  }
  const scores = init.scores === undefined ? [score] : [...init.scores]
  scores.forEach((item, index) => checkScore(item, `\`scores[${index}]\` of ${where}`))
  const critique = toCritique(init.critique, `\`critique\` of ${where}`)
  return Object.freeze({ score, scores: Object.freeze(scores), critique: Object.freeze(critique) })
}

/** Checks that `value` is a score from 0 to 1. */
export function checkScore(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new TypeError(`Expected ${what} to be a number from 0 to 1, got ${describe(value)}. Normalize scores into [0, 1] (4 of 5 is 0.75 on a 1..5 scale).`)
  }
  return value
}

/** Critique lines from a string, an array of strings or nothing; blank lines are dropped. */
export function toCritique(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return []
  const lines = typeof value === 'string' ? [value] : value
  if (!Array.isArray(lines) || !lines.every((line) => typeof line === 'string')) {
    throw new TypeError(`Expected ${what} to be a string or an array of strings, got ${describe(value)}.`)
  }
  return lines.map((line) => line.trim()).filter((line) => line !== '')
}

/**
 * Combines the feedback of several consumers of one value: critiques concatenated (a remark that
 * arrives twice is kept once), scores listed. The same feedback object arriving twice (a diamond:
 * one loss reaching a node along two paths) counts once. `undefined` when there is none.
 *
 * @example
 * ```ts
 * combineFeedback([
 *   toFeedback({ score: 0, critique: 'Wrong title.' }),
 *   toFeedback({ score: 1, critique: 'Summary fine.' }),
 * ]) // { score: 0.5, scores: [0, 1], critique: ['Wrong title.', 'Summary fine.'] }
 * ```
 */
export function combineFeedback(items: ReadonlyArray<Feedback | undefined>): Feedback | undefined {
  const distinct = [...new Set(items.filter((item): item is Feedback => item !== undefined))]
  if (distinct.length <= 1) return distinct[0]
  const scores = distinct.flatMap((item) => item.scores)
  const critique = [...new Set(distinct.flatMap((item) => item.critique))]
  return Object.freeze({ score: mean(scores), scores: Object.freeze(scores), critique: Object.freeze(critique) })
}

/** The mean of `values` (0 for none). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length
}
