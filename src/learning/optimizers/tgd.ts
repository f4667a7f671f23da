/**
 * `TextualGradientDescent` (TGD, as in TextGrad): each parameter is rewritten from its feedback
 * (its textual gradient), with a memory of earlier values and the feedback they got (momentum).
 */
import { describe, type Parameter } from '../../parameter.js'
import { formatFeedbackItem } from '../parameter-feedback.js'
import { Prompter } from '../prompter.js'
import { fenced } from '../text.js'
import { Optimizer, type ParametersInput, type PendingUpdate, type StepChanges, type StepOptions, type StepPlan } from './optimizer.js'

/**
 * Options of TextualGradientDescent.
 *
 * @example
 * ```ts
 * const options: TGDOptions = { momentum: 3, alias: 'smart' }
 * ```
 */
export interface TGDOptions {
  /** How many earlier steps (value and feedback) each update is shown. Default 0 (no memory). */
  momentum?: number
  /** How many times an empty update is asked again before the step fails. Default 2. */
  maxRetries?: number
  /** Endpoint alias of the optimizer's LLM. Default `'optimizer'`. */
  alias?: string
}

/** The system prompt of TGD's updates. */
export const TGD_SYSTEM =
  'You are an optimizer that improves a text variable of an LLM pipeline (a prompt or an instruction) by textual gradient descent: the feedback you are given is its gradient, and earlier values with their feedback show the trend. Write an improved value that addresses the feedback and stays fit for its purpose. Reply with only the complete improved value: no preamble, no quotes, no explanation.'

/**
 * Textual gradient descent: one LLM call per parameter with feedback, all in parallel (within the
 * endpoint's limits), each shown the feedback of this step and, with `momentum`, the last
 * `momentum` values of the parameter and the feedback they got. The memory is the optimizer's own.
 *
 * @example
 * ```ts
 * const optimizer = new TextualGradientDescent(model, { momentum: 2 }).bind({ endpoints: { optimizer: openai({ model: 'gpt-4o' }) } })
 * await loss.backward()
 * await optimizer.step()
 * ```
 */
export class TextualGradientDescent extends Optimizer {
  readonly momentum: number
  readonly maxRetries: number
  readonly #llm: Prompter
  readonly #memory = new Map<Parameter, Array<{ value: string; feedback: string }>>()

  constructor(parameters: ParametersInput, options: TGDOptions = {}) {
    super(parameters)
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected TextualGradientDescent options to be an object, got ${describe(options)}.`)
    const { momentum = 0, maxRetries = 2, alias = 'optimizer' } = options
    if (!Number.isInteger(momentum) || momentum < 0) throw new TypeError(`Expected \`momentum\` to be a non-negative integer (how many earlier steps to remember), got ${describe(momentum)}.`)
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError(`Expected \`maxRetries\` to be a non-negative integer, got ${describe(maxRetries)}.`)
    if (typeof alias !== 'string' || alias === '') throw new TypeError(`Expected \`alias\` to be a non-empty string, got ${describe(alias)}.`)
    this.momentum = momentum
    this.maxRetries = maxRetries
    this.#llm = new Prompter(alias, TGD_SYSTEM, 'TextualGradientDescent')
  }

  protected prompters(): Prompter[] {
    return [this.#llm]
  }

  /**
   * One call per learnable parameter with feedback.
   *
   * @example
   * ```ts
   * optimizer.plan().calls
   * ```
   */
  plan(): StepPlan {
    const parameters = this.pending().map((update) => ({ path: update.path, feedback: update.feedback.length, level: update.level, calls: 1 }))
    return { calls: parameters.length, byAlias: parameters.length > 0 ? { [this.#llm.alias]: parameters.length } : {}, parameters }
  }

  /**
   * Rewrites every learnable parameter with feedback, all at once, and returns what changed.
   *
   * @example
   * ```ts
   * const changes = await optimizer.step()
   * ```
   */
  async step(options: StepOptions = {}): Promise<StepChanges> {
    this.assertBound()
    options.signal?.throwIfAborted()
    const pending = this.pending()
    const controller = new AbortController()
    const onAbort = () => controller.abort(options.signal!.reason)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const callOptions: StepOptions = { signal: controller.signal }
    if (options.onNode) callOptions.onNode = options.onNode
    let values: string[]
    try {
      values = await Promise.all(
        pending.map((update) =>
          this.askForValue(this.#llm, this.updatePrompt(update), update.path, this.maxRetries, callOptions).catch((error: unknown) => {
            controller.abort(error)
            throw error
          }),
        ),
      )
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
    const changes: StepChanges = {}
    pending.forEach((update, index) => {
      const before = update.parameter.value
      const after = values[index]!
      if (this.momentum > 0) {
        const memory = [...(this.#memory.get(update.parameter) ?? []), { value: before, feedback: feedbackText(update) }]
        this.#memory.set(update.parameter, memory.slice(-this.momentum))
      }
      if (after === before) return
      update.parameter.value = after
      changes[update.path] = { before, after }
    })
    this.completeStep()
    return changes
  }

  /**
   * The earlier values and feedback remembered for `parameter`, oldest first (at most `momentum`).
   *
   * @example
   * ```ts
   * optimizer.memoryOf(model.instructions).map((entry) => entry.value)
   * ```
   */
  memoryOf(parameter: Parameter): ReadonlyArray<{ value: string; feedback: string }> {
    return this.#memory.get(parameter) ?? []
  }

  /** The prompt of one update. */
  protected updatePrompt(update: PendingUpdate): string {
    const memory = this.memoryOf(update.parameter)
    return [
      `Variable: \`${update.path}\``,
      `What it is for: ${update.parameter.description}`,
      `Current value:\n${fenced(update.parameter.value)}`,
      `Feedback on the current value (the gradient):\n${feedbackText(update)}`,
      memory.length === 0
        ? undefined
        : `Earlier values and the feedback they got (momentum, oldest first):\n${memory.map((entry, index) => `### Earlier value ${index + 1}\n${fenced(entry.value)}\nFeedback:\n${entry.feedback}`).join('\n\n')}`,
      this.rejectedSection(update.parameter),
      'Reply with only the complete improved value of the variable.',
    ]
      .filter((part) => part !== undefined)
      .join('\n\n')
  }
}

function feedbackText(update: PendingUpdate): string {
  return update.feedback.map((item, index) => `### Item ${index + 1}\n${formatFeedbackItem(item)}`).join('\n\n')
}
