/** `CompositeLoss`: a weighted combination of losses. */
import { PlaitError } from '../../../runtime/errors.js'
import { describe } from '../../parameter.js'
import { LossValue, type LossPart, type LossResult } from '../loss-value.js'
import { Loss, type LossContext } from './loss.js'

/**
 * One part of a CompositeLoss.
 *
 * @example
 * ```ts
 * const part: WeightedLoss<string> = { loss: new VerifierLoss(isShort), weight: 1, name: 'length' }
 * ```
 */
export interface WeightedLoss<Prediction = unknown, Target = unknown> {
  loss: Loss<Prediction, Target>
  /** A finite number >= 0. Default 1. A part with weight 0 is not computed. */
  weight?: number
  /** Shown before the part's critique (`[format] ...`) and in `parts`. Default: the loss's class. */
  name?: string
}

/**
 * Weighted losses as one: the score is the weighted mean of the parts' scores, the critique every
 * part's critique (prefixed with the part's name when names were given), and `parts` keeps each
 * part's result. The parts run concurrently in the same run. Weights must be finite and >= 0 with
 * a positive sum.
 *
 * @example
 * ```ts
 * const loss = new CompositeLoss([
 *   { loss: new VerifierLoss(isValidJson), weight: 2, name: 'format' },
 *   { loss: new JudgeLoss({ alias: 'judge', criteria: 'Helpful?', rubric }), weight: 1, name: 'quality' },
 * ])
 * ```
 */
export class CompositeLoss<Prediction = unknown, Target = unknown> extends Loss<Prediction, Target> {
  readonly losses: Array<Loss<Prediction, Target>>
  readonly weights: readonly number[]
  readonly names: readonly string[]
  readonly #named: boolean

  constructor(parts: ReadonlyArray<WeightedLoss<Prediction, Target>>) {
    super()
    if (!Array.isArray(parts) || parts.length === 0) throw new TypeError(`Expected CompositeLoss to get a non-empty array of \`{ loss, weight }\`, got ${describe(parts)}.`)
    const losses: Array<Loss<Prediction, Target>> = []
    const weights: number[] = []
    const names: string[] = []
    parts.forEach((part: WeightedLoss<Prediction, Target>, index) => {
      if (part === null || typeof part !== 'object' || !(part.loss instanceof Loss)) {
        throw new TypeError(`Expected part ${index} of CompositeLoss to be \`{ loss, weight }\` with a Loss, got ${describe(part?.loss ?? part)}.`)
      }
      const { weight = 1, name = part.loss.constructor.name } = part
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw new TypeError(`Expected the weight of part ${index} (${name}) of CompositeLoss to be a finite number >= 0, got ${describe(weight)}.`)
      }
      if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`Expected the name of part ${index} of CompositeLoss to be a non-empty string, got ${describe(name)}.`)
      losses.push(part.loss)
      weights.push(weight)
      names.push(name)
    })
    if (weights.every((weight) => weight === 0)) throw new PlaitError('Expected at least one weight of CompositeLoss to be positive; they are all 0, so the score would be undefined.')
    this.losses = losses
    this.weights = Object.freeze(weights)
    this.names = Object.freeze(names)
    this.#named = parts.some((part) => part.name !== undefined)
  }

  async compute(prediction: Prediction, target: Target | undefined, context: LossContext): Promise<LossResult> {
    const active = this.losses.map((loss, index) => ({ loss, index, weight: this.weights[index]!, name: this.names[index]! })).filter((part) => part.weight > 0)
    const results = await Promise.all(
      active.map(async ({ loss, index }) => new LossValue(await loss.compute(prediction, target, { ...context, module: `${context.module ? `${context.module}.` : ''}losses.${index}` }))),
    )
    const total = active.reduce((sum, part) => sum + part.weight, 0)
    const parts: LossPart[] = results.map((result, position) => {
      const { weight, name } = active[position]!
      return { name, weight, score: result.score, critique: result.critique, raw: result.raw }
    })
    const score = Math.min(1, Math.max(0, parts.reduce((sum, part) => sum + part.weight * part.score, 0) / total))
    const critique = parts.flatMap((part) => part.critique.map((line) => (this.#named ? `[${part.name}] ${line}` : line)))
    return { score, critique, parts }
  }
}
