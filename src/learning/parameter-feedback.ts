/**
 * Feedback accumulated for parameters by backward passes: the textual counterpart of `param.grad`.
 *
 * It belongs to the parameter, as a gradient does, and is kept in a WeakMap keyed by the Parameter
 * (so the Parameter class stays a plain value, and a dropped parameter takes its feedback with it).
 * Optimizers read it and `zeroFeedback()` clears it; an optimizer's own state (momentum memory,
 * step count) lives on the optimizer.
 */
import type { Tape } from '../../runtime/tape.js'
import { Module } from '../module.js'
import { describe, Parameter } from '../parameter.js'
import type { Feedback } from './feedback.js'
import { bullets, fenced, formatScore } from './text.js'

/**
 * One item of feedback for a parameter: what one node that read the parameter received and
 * produced in one run, and the critique its output got.
 *
 * @example
 * ```ts
 * for (const item of feedbackOf(model.instruction)) console.log(item.node, item.score, item.critique)
 * ```
 */
export interface ParameterFeedback extends Feedback {
  /** The parameter it is for. */
  readonly parameter: Parameter
  /** The parameter's description (what the text is for). */
  readonly description: string
  /** Id of the node that read the parameter. */
  readonly node: string
  /** Dotted module path of that node in its run. */
  readonly module: string
  /** Class of the module (`LLMInference`), when known. */
  readonly moduleType: string | undefined
  /** What the node received (truncated). */
  readonly received: string
  /** What the node produced (truncated). */
  readonly produced: string
  /** The tape of the run, so optimizers can order parameters by the graph (not enumerable). */
  readonly tape: Tape
}

const store = new WeakMap<Parameter, ParameterFeedback[]>()

/**
 * The feedback accumulated for `parameter` by backward passes since it was last cleared, one item
 * per node and run, in arrival order.
 *
 * @example
 * ```ts
 * await loss.backward()
 * feedbackOf(model.instruction).map((item) => item.critique) // [['Answer in one word.']]
 * ```
 */
export function feedbackOf(parameter: Parameter): readonly ParameterFeedback[] {
  if (!(parameter instanceof Parameter)) throw new TypeError(`Expected \`parameter\` to be a Parameter, got ${describe(parameter)}.`)
  return store.get(parameter) ?? []
}

/** Adds one item of feedback for its parameter (used by backward passes). */
export function addFeedback(item: Omit<ParameterFeedback, 'tape'>, tape: Tape): ParameterFeedback {
  const entry = Object.freeze(Object.defineProperty({ ...item }, 'tape', { value: tape, enumerable: false })) as ParameterFeedback
  const list = store.get(item.parameter)
  if (list) list.push(entry)
  else store.set(item.parameter, [entry])
  return entry
}

/**
 * Clears the feedback of `parameters` (a module's, or a list), and with it the tapes it held.
 *
 * @example
 * ```ts
 * zeroFeedback(model)              // every parameter of the model
 * zeroFeedback([model.instruction])
 * ```
 */
export function zeroFeedback(parameters: Module | Iterable<Parameter>): void {
  const list = parameters instanceof Module ? parameters.parameters() : parameters
  if (list === null || typeof (list as Partial<Iterable<Parameter>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`Expected \`parameters\` to be a Module or an iterable of Parameters, got ${describe(parameters)}.`)
  }
  for (const parameter of list) {
    if (!(parameter instanceof Parameter)) throw new TypeError(`Expected every item of \`parameters\` to be a Parameter, got ${describe(parameter)}.`)
    store.delete(parameter)
  }
}

/**
 * One feedback item as text for an optimizer's prompt.
 *
 * @example
 * ```ts
 * formatFeedbackItem(feedbackOf(model.instruction)[0]!)
 * ```
 */
export function formatFeedbackItem(item: ParameterFeedback): string {
  const where = item.moduleType ? `\`${item.module || item.node}\` (${item.moduleType})` : `\`${item.module || item.node}\``
  return [
    `At ${where}, score ${item.scores.map(formatScore).join(', ')}.`,
    `It received:\n${fenced(item.received)}`,
    `It produced:\n${fenced(item.produced)}`,
    `Critique:\n${bullets(item.critique)}`,
  ].join('\n')
}
