/** `HumanFeedbackLoss`: a person (or any outside system) scores the output. */
import { describe } from '../../parameter.js'
import type { LossResult } from '../loss-value.js'
import { Loss, type LossContext } from './loss.js'

/**
 * Asks for feedback through an async callback (a web form, a chat message, a terminal prompt with
 * `readline/promises`). The run waits for the answer without blocking the event loop: other runs
 * and LLM calls go on meanwhile. The callback gets the run's abort signal; it must resolve to
 * `{ score, critique }` with a score in [0, 1].
 *
 * @example
 * ```ts
 * import { createInterface } from 'node:readline/promises'
 * const terminal = createInterface({ input: process.stdin, output: process.stdout })
 * const loss = new HumanFeedbackLoss(async (answer: string, _target, { signal }) => {
 *   const reply = await terminal.question(`${answer}\nGood? (y / what is wrong) `, { signal })
 *   return reply === 'y' ? { score: 1 } : { score: 0, critique: reply }
 * })
 * ```
 */
export class HumanFeedbackLoss<Prediction = unknown, Target = unknown> extends Loss<Prediction, Target> {
  readonly #ask: (prediction: Prediction, target: Target | undefined, context: LossContext) => Promise<LossResult>

  constructor(ask: (prediction: Prediction, target: Target | undefined, context: LossContext) => Promise<LossResult>) {
    super()
    if (typeof ask !== 'function') throw new TypeError(`Expected the callback of HumanFeedbackLoss to be an async function \`(prediction, target, { signal }) => ({ score, critique })\`, got ${describe(ask)}.`)
    this.#ask = ask
  }

  async compute(prediction: Prediction, target: Target | undefined, context: LossContext): Promise<LossResult> {
    const answer = this.#ask(prediction, target, context)
    if (!(answer instanceof Promise) && typeof (answer as Partial<PromiseLike<unknown>> | null)?.then !== 'function') {
      throw new TypeError('Expected the callback of HumanFeedbackLoss to return a promise (make it `async`): a person answers later, and the run must not block while waiting.')
    }
    const result = await answer
    if (result === null || typeof result !== 'object') throw new TypeError(`Expected the callback of HumanFeedbackLoss to resolve to \`{ score, critique }\`, got ${describe(result)}.`)
    return result
  }
}
