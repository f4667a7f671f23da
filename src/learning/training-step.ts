/** `TrainingStep`: a model and its loss in one run, so that one tape holds both. */
import { Module } from '../module.js'
import { describe } from '../parameter.js'
import type { LossValue } from './loss-value.js'
import { Loss } from './losses/loss.js'

/**
 * Runs `model` on the inputs and `loss` on its output and the target, in one run: call it with the
 * model's own arguments followed by the target. It returns the loss value; in training mode the
 * tape of the whole run is attached to it, so `await loss.backward()` reaches the model's
 * parameters. Its training mode is the model's (`model.train()` is enough).
 *
 * The loss is one node of the run, fed by the model's output nodes: feedback enters the model
 * there. LLM calls the loss makes (a judge) are on the tape too, after the loss node, and read no
 * learnable parameters of the model.
 *
 * @example
 * ```ts
 * const step = new TrainingStep(model, new VerifierLoss(check)).bind({ endpoints })
 * model.train()
 * const loss = await step('What is 2 + 2?', '4')   // model's arguments, then the target
 * console.log(loss.score, loss.received[0])        // the prediction is what the loss received first
 * await loss.backward()
 * ```
 */
export class TrainingStep<In extends unknown[] = any[], Out = any, Target = any> extends Module<[...In, target: Target | undefined], LossValue> {
  readonly model: Module<In, Out>
  readonly loss: Loss<Awaited<Out>, Target>

  constructor(model: Module<In, Out>, loss: Loss<Awaited<Out>, Target>) {
    super()
    if (!(model instanceof Module)) throw new TypeError(`Expected \`model\` of TrainingStep to be a Module, got ${describe(model)}.`)
    if (!(loss instanceof Loss)) throw new TypeError(`Expected \`loss\` of TrainingStep to be a Loss (VerifierLoss, JudgeLoss, ...), got ${describe(loss)}.`)
    this.model = model
    this.loss = loss
  }

  /** The model's training mode: a TrainingStep records whenever its model is in training mode. */
  override get training(): boolean {
    return this.model.training
  }

  override forward(...args: [...In, target: Target | undefined]): LossValue {
    const inputs = args.slice(0, -1) as unknown as In
    const target = args[args.length - 1] as Target | undefined
    const prediction = (this.model as unknown as (...inputs: unknown[]) => Awaited<Out>)(...inputs)
    return (this.loss as unknown as (prediction: Awaited<Out>, target: Target | undefined) => LossValue)(prediction, target)
  }
}
