/**
 * Textual gradients (TextGrad style): an LLM is asked, for one node of a run, how that node's
 * output should have differed given the feedback on what it led to. The answer becomes that
 * node's own critique, which its parameters accumulate and its inputs receive.
 */
import type { TapeNode } from '../../runtime/tape.js'
import type { Feedback } from './feedback.js'
import { bullets, fenced, formatScore, showReceived, showValue } from './text.js'

/** The system prompt of the gradient LLM. */
export const GRADIENT_SYSTEM = [
  'You are the backward pass of an optimizer for pipelines of LLM calls (textual gradients).',
  'You are shown one step of a pipeline: the instructions it was given, what it received and what it produced, and feedback on what its output led to further down the pipeline.',
  'Say concisely and concretely how this step\'s output should have been different to address the feedback.',
  'If the problem does not come from this step, say what this step could still do better, or say that its output was fine.',
  'Reply with the critique only: no preamble.',
].join(' ')

/**
 * The user prompt asking how `node`'s output should have differed given `feedback`.
 *
 * @example
 * ```ts
 * gradientPrompt(tape.nodes[0]!, toFeedback({ score: 0, critique: 'Wrong city.' }), 1500)
 * ```
 */
export function gradientPrompt(node: TapeNode, feedback: Feedback, maxChars: number): string {
  const system = typeof node.details?.system === 'string' ? node.details.system : undefined
  const name = node.moduleType ? `\`${node.module || node.id}\` (${node.moduleType})` : `\`${node.module || node.id}\``
  return [
    `Step: ${name}`,
    system === undefined ? undefined : `Instructions it was given (its system prompt):\n${fenced(showValue(system, maxChars))}`,
    `It received:\n${fenced(showReceived(node.received ?? node.inputValues, maxChars))}`,
    `It produced:\n${fenced(showValue(node.output, maxChars))}`,
    `Feedback on what its output led to (score ${feedback.scores.map(formatScore).join(', ')}):\n${bullets(feedback.critique)}`,
    'How should this step\'s output have been different?',
  ]
    .filter((part) => part !== undefined)
    .join('\n\n')
}
