/**
 * `Loss`: the base of every loss. A loss is a module: called inside `forward()` (a TrainingStep) it
 * becomes one node of the run, fed by the nodes it compares, so backward passes find their way
 * from it to the model; bound on its own, it is a pipeline of its own.
 */
import { currentRun, inRun } from '../../../runtime/context.js'
import { futureFor } from '../../../runtime/future.js'
import type { ExecuteContext, Run } from '../../../runtime/run.js'
import { invoke, Module, modulePath, outsideRunError } from '../../module.js'
import type { PipelineServices } from '../../services.js'
import { LossValue, rememberRunModules, type LossResult } from '../loss-value.js'

/**
 * What `compute()` is told besides the values.
 *
 * @example
 * ```ts
 * compute(prediction, target, { signal }) { return askPerson(prediction, { signal }) }
 * ```
 */
export interface LossContext {
  /** Aborted when the run fails or is aborted. */
  signal: AbortSignal
  /** Dotted module path of the loss in the run. */
  module: string
}

/**
 * The base of every loss: a module whose call gives a {@link LossValue}. Subclasses implement
 * `compute()` on resolved values; LLM calls they make through child modules (`await this.judge(prompt)`)
 * join the same run, go through the same endpoint limits and show on the tape.
 *
 * @example
 * ```ts
 * class ExactMatch extends Loss<string, string> {
 *   compute(prediction: string, target: string | undefined): LossResult {
 *     return prediction === target ? { score: 1 } : { score: 0, critique: `Expected \`${target}\`, got \`${prediction}\`.` }
 *   }
 * }
 * ```
 */
export abstract class Loss<Prediction = unknown, Target = unknown> extends Module<[prediction: Prediction, target?: Target], LossValue> {
  /**
   * Computes the feedback on resolved values: a score in [0, 1] and a critique.
   *
   * @example
   * ```ts
   * compute(prediction: string, target: string | undefined): LossResult {
   *   return prediction === target ? { score: 1 } : { score: 0, critique: `Expected \`${target}\`.` }
   * }
   * ```
   */
  abstract compute(prediction: Prediction, target: Target | undefined, context: LossContext): LossResult | Promise<LossResult>

  /** Inside a run: adds this loss as one node fed by what it compares, and returns its pending value. */
  override forward(prediction: Prediction, target?: Target): LossValue {
    const run = currentRun() as Run<PipelineServices> | undefined
    if (!run) throw outsideRunError(this)
    return this[invoke](run, [prediction, target]) as LossValue
  }

  override [invoke](run: Run<PipelineServices>, args: unknown[]): unknown {
    const path = modulePath(run, this)
    const spec = { kind: 'derive' as const, base: path || 'loss', module: path, moduleType: this.constructor.name, label: this.constructor.name }
    const node = run.addCall(spec, args.slice(0, 2), (received, context) => this.#evaluate(received, context as ExecuteContext & { run: Run<PipelineServices> }, path))
    return futureFor(node)
  }

  #evaluate(received: unknown[], context: ExecuteContext & { run: Run<PipelineServices> }, path: string): Promise<LossValue> {
    // Runs with the run as the current one across awaits, so that child modules called inside
    // compute() (a judge) join this run.
    const evaluate = async (): Promise<LossValue> => {
      const result = await this.compute(received[0] as Prediction, received[1] as Target | undefined, { signal: context.signal, module: path })
      const value = new LossValue(result, { module: path, received })
      rememberRunModules(value, context.run.services.tree.paths)
      return value
    }
    return inRun(context.run, evaluate, evaluate)
  }
}
