/** `VerifierLoss`: a loss from a check written in code. */
import { describe } from '../../parameter.js'
import type { LossResult } from '../loss-value.js'
import { Loss, type LossContext } from './loss.js'

/**
 * What a verifier returns: `true` (pass), `false` (fail with the default message), or
 * `{ pass, message }` (the message is the critique of a failure).
 *
 * @example
 * ```ts
 * const verdict: Verdict = { pass: false, message: 'Expected one word, got three.' }
 * ```
 */
export type Verdict = boolean | { pass: boolean; message?: string }

/**
 * A check in code: pass scores 1, fail scores 0 with the message as critique. Write the message
 * for the LLM that will improve the prompt: say what was expected and what came out.
 *
 * @example
 * ```ts
 * const loss = new VerifierLoss((answer: string, expected?: string) =>
 *   answer.trim() === expected ? true : { pass: false, message: `Expected \`${expected}\`, got \`${answer}\`.` },
 * )
 * ```
 */
export class VerifierLoss<Prediction = unknown, Target = unknown> extends Loss<Prediction, Target> {
  readonly #check: (prediction: Prediction, target: Target | undefined, context: LossContext) => Verdict | Promise<Verdict>
  readonly #message: string

  constructor(
    check: (prediction: Prediction, target: Target | undefined, context: LossContext) => Verdict | Promise<Verdict>,
    options: { /** Critique of a plain `false`. */ message?: string } = {},
  ) {
    super()
    if (typeof check !== 'function') throw new TypeError(`Expected the check of VerifierLoss to be a function \`(prediction, target) => boolean | { pass, message }\`, got ${describe(check)}.`)
    const { message = 'The output failed verification.' } = options
    if (typeof message !== 'string' || message.trim() === '') throw new TypeError(`Expected \`message\` to be a non-empty string, got ${describe(message)}.`)
    this.#check = check
    this.#message = message
  }

  async compute(prediction: Prediction, target: Target | undefined, context: LossContext): Promise<LossResult> {
    const verdict = await this.#check(prediction, target, context)
    if (typeof verdict === 'boolean') return verdict ? { score: 1 } : { score: 0, critique: this.#message }
    if (verdict === null || typeof verdict !== 'object' || typeof verdict.pass !== 'boolean') {
      throw new TypeError(`Expected the check of VerifierLoss to return a boolean or \`{ pass: boolean, message?: string }\`, got ${describe(verdict)}.`)
    }
    if (verdict.message !== undefined && typeof verdict.message !== 'string') throw new TypeError(`Expected \`message\` of the verdict to be a string, got ${describe(verdict.message)}.`)
    if (verdict.pass) return { score: 1 }
    return { score: 0, critique: verdict.message?.trim() ? verdict.message : this.#message }
  }
}
