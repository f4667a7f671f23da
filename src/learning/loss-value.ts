/**
 * `LossValue`: what a loss returns, like a loss tensor in PyTorch. It carries the score and
 * critique, and `backward()` sends them through the tape of the run it was computed in.
 */
import { PlaitError } from '../../runtime/errors.js'
import { tapeOf, type Tape } from '../../runtime/tape.js'
import { Module } from '../module.js'
import { describe } from '../parameter.js'
import { backwardPass, type BackwardOptions, type BackwardReport } from './backward.js'
import { checkScore, toCritique, type Feedback } from './feedback.js'

/**
 * One weighted part of a composite loss.
 *
 * @example
 * ```ts
 * loss.parts?.map((part) => `${part.name}: ${part.score} × ${part.weight}`)
 * ```
 */
export interface LossPart {
  name: string
  weight: number
  score: number
  critique: readonly string[]
  raw: number | string | undefined
}

/**
 * What a loss's `compute()` returns.
 *
 * @example
 * ```ts
 * const result: LossResult = { score: 0, critique: ['Expected `billing`, got `Billing.`'] }
 * ```
 */
export interface LossResult {
  /** From 0 (bad) to 1 (good). */
  score: number
  critique?: string | readonly string[]
  /** The score as the loss measured it before normalizing (a rubric level), or a verdict. */
  raw?: number | string
  parts?: readonly LossPart[]
}

/**
 * Options of `loss.backward()`.
 *
 * @example
 * ```ts
 * await loss.backward({ retainGraph: true })
 * await loss.backward({ tape: recorded.tape, module: model }) // the model ran in another run
 * ```
 */
export interface LossBackwardOptions extends BackwardOptions {
  /**
   * The tape to send the feedback through. Default: the tape attached to this value (a run that
   * returned it in training mode or with `record: true`). Give the model run's tape when the loss
   * was computed in a run of its own; the feedback then enters at that run's output nodes.
   */
  tape?: Tape
  /** Keep the graph so that `backward()` can run again on this value. Default `false`. */
  retainGraph?: boolean
}

const runModules = new WeakMap<LossValue, ReadonlyMap<Module, string>>()

/** Remembers the module tree of the run a loss value was computed in (for custom backward()). */
export function rememberRunModules(value: LossValue, paths: ReadonlyMap<Module, string>): void {
  runModules.set(value, paths)
}

/**
 * The value of a loss: a score in [0, 1] and a critique, with `backward()`.
 *
 * @example
 * ```ts
 * model.train()
 * const loss = await new TrainingStep(model, new VerifierLoss(check)).bind({ endpoints })(question, expected)
 * console.log(loss.score, loss.critique)
 * await loss.backward()
 * ```
 */
export class LossValue implements Feedback {
  readonly score: number
  readonly critique: readonly string[]
  /** The score before normalizing (a judge's rubric level), or a verdict (`'A'`, `'tie'`). */
  readonly raw: number | string | undefined
  /** The weighted parts of a composite loss. */
  readonly parts: readonly LossPart[] | undefined
  /** Dotted module path of the loss in its run (`'loss'` in a TrainingStep). */
  readonly module: string
  /** What the loss compared: its resolved arguments (prediction, target). */
  readonly received: readonly unknown[]
  #released = false

  constructor(result: LossResult, where: { module?: string; received?: readonly unknown[] } = {}) {
    if (result === null || typeof result !== 'object') throw new TypeError(`Expected a loss result like \`{ score: 0.5, critique: ['...'] }\`, got ${describe(result)}.`)
    this.score = checkScore(result.score, '`score` of the loss')
    this.critique = Object.freeze(toCritique(result.critique, '`critique` of the loss'))
    if (result.raw !== undefined && typeof result.raw !== 'number' && typeof result.raw !== 'string') {
      throw new TypeError(`Expected \`raw\` of the loss to be a number or a string, got ${describe(result.raw)}.`)
    }
    this.raw = result.raw
    this.parts = result.parts === undefined ? undefined : Object.freeze([...result.parts])
    this.module = where.module ?? ''
    this.received = Object.freeze([...(where.received ?? [])])
  }

  /** `[score]`: a loss value is feedback with one score. */
  get scores(): readonly number[] {
    return [this.score]
  }

  /**
   * Whether `backward()` ran without `retainGraph`, so it cannot run again.
   *
   * @example
   * ```ts
   * if (!loss.released) await loss.backward()
   * ```
   */
  get released(): boolean {
    return this.#released
  }

  /**
   * Sends this feedback backward through the run's tape, from the loss node (or, with a tape of
   * another run, from that run's output nodes) to every node upstream; learnable parameters
   * accumulate it (see `feedbackOf`). Runs once unless `retainGraph` is set.
   *
   * @example
   * ```ts
   * const report = await loss.backward()
   * await optimizer.step()
   * ```
   */
  async backward(options: LossBackwardOptions = {}): Promise<BackwardReport> {
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected backward options to be an object, got ${describe(options)}.`)
    if (this.#released) {
      throw new PlaitError('Expected `backward()` to run once per loss value: this one already went backward and released its graph. Pass `{ retainGraph: true }` to the first `backward()` to run it again.')
    }
    const { tape: given, retainGraph = false, module, ...rest } = options
    if (given !== undefined && (given === null || typeof given !== 'object' || !Array.isArray((given as Partial<Tape>).nodes))) {
      throw new TypeError(`Expected \`tape\` to be a Tape (from \`tapeOf(value)\` or \`pipeline.record()\`), got ${describe(given)}.`)
    }
    if (module !== undefined && !(module instanceof Module)) throw new TypeError(`Expected \`module\` to be the root Module of the run, got ${describe(module)}.`)
    const tape = given ?? tapeOf(this)
    if (!tape) {
      throw new PlaitError(
        'Expected a tape to run backward on; this loss value has none. A run keeps one in training mode or with `record: true`: call `model.train()` and compute the loss in the same run (`new TrainingStep(model, loss)`), or record the model run (`const { value, tape } = await pipeline.record(args)`) and pass it: `loss.backward({ tape })`.',
      )
    }
    const lossNode = tape.nodes.find((node) => node.output === this)
    let modules: ReadonlyMap<string, Module> | undefined
    if (module) modules = new Map([...module.namedModules()])
    else if (lossNode) modules = invert(runModules.get(this))
    if (!retainGraph) this.#released = true
    return backwardPass(tape, this, lossNode ? { ...rest, at: [lossNode.id] } : rest, modules)
  }

  toJSON(): { score: number; critique: readonly string[]; raw?: number | string; parts?: readonly LossPart[] } {
    const json: { score: number; critique: readonly string[]; raw?: number | string; parts?: readonly LossPart[] } = { score: this.score, critique: this.critique }
    if (this.raw !== undefined) json.raw = this.raw
    if (this.parts !== undefined) json.parts = this.parts
    return json
  }
}

function invert(paths: ReadonlyMap<Module, string> | undefined): ReadonlyMap<string, Module> | undefined {
  return paths && new Map([...paths].map(([module, path]) => [path, module]))
}
