/**
 * `SFAOptimizer` (stochastic feedback ascent, as in plait for Python): parameters are updated in
 * the order of the graph, upstream first, each by an LLM that sees its feedback and the upstream
 * changes already made in the same step.
 */
import { describe, type Parameter } from '../../parameter.js'
import { formatFeedbackItem, type ParameterFeedback } from '../parameter-feedback.js'
import { Prompter } from '../prompter.js'
import { fenced, formatScore } from '../text.js'
import { Optimizer, type ParametersInput, type PendingUpdate, type StepChanges, type StepOptions, type StepPlan } from './optimizer.js'

/**
 * Options of an SFAOptimizer.
 *
 * @example
 * ```ts
 * const options: SFAOptions = { conservatism: 0.7, maxRetries: 2, aliases: { aggregator: 'fast', updater: 'smart' } }
 * ```
 */
export interface SFAOptions {
  /** From 0 (rewrite freely to address the feedback) to 1 (change as little as possible). Default 0.5. */
  conservatism?: number
  /** How many times an empty update is asked again before the step fails. Default 2. */
  maxRetries?: number
  /** Endpoint aliases of the optimizer's two LLMs. Default `'optimizer'` for both. */
  aliases?: { aggregator?: string; updater?: string }
}

/** The aggregator's system prompt (its user prompt lists every feedback item of one parameter). */
export const AGGREGATOR_SYSTEM =
  'You combine several items of feedback about one text parameter of an LLM pipeline (a prompt or an instruction) into one concise summary of what should change in it: the problems that recur first, then the rest; resolve conflicts; keep short concrete examples. Reply with the summary only.'

/** The updater's system prompt. */
export const UPDATER_SYSTEM =
  'You improve one text parameter of an LLM pipeline (a prompt or an instruction) from feedback on the outputs it led to. Keep what works, address the feedback, and keep the parameter fit for its purpose. Reply with only the complete new value of the parameter: no preamble, no quotes, no explanation.'

/** What the updater is told about a conservatism setting. */
export function conservatismGuidance(conservatism: number): string {
  if (conservatism <= 0.2) return 'Rewrite the value as much as needed to address the feedback; a new structure or wording is welcome.'
  if (conservatism >= 0.8) return 'Keep the value as it is wherever possible: make the smallest edit that addresses the feedback.'
  return 'Make targeted edits that address the feedback, and keep what already works.'
}

/**
 * The plait-style optimizer. A step:
 * 1. orders the learnable parameters with feedback by the graphs they were used in (upstream
 *    first); parameters on one level are updated in parallel;
 * 2. for each, uses a single feedback item as is, or first aggregates several with one LLM call
 *    (alias `aggregator`);
 * 3. asks the updater LLM (alias `updater`) for the new value, showing the parameter's
 *    description, current value, the feedback, the conservatism, and the upstream parameters
 *    already changed in this step (before and after); an empty reply is asked again up to
 *    `maxRetries` times, then the step fails naming the parameter and changes nothing.
 *
 * @example
 * ```ts
 * const optimizer = new SFAOptimizer(model, { conservatism: 0.5 }).bind({ endpoints: { optimizer: openai({ model: 'gpt-4o' }) } })
 * optimizer.zeroFeedback()
 * await Promise.all(losses.map((loss) => loss.backward()))
 * const changes = await optimizer.step() // { 'draft.instruction': { before, after } }
 * ```
 */
export class SFAOptimizer extends Optimizer {
  readonly conservatism: number
  readonly maxRetries: number
  readonly #aggregator: Prompter
  readonly #updater: Prompter

  constructor(parameters: ParametersInput, options: SFAOptions = {}) {
    super(parameters)
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected SFAOptimizer options to be an object, got ${describe(options)}.`)
    const { conservatism = 0.5, maxRetries = 2, aliases = {} } = options
    if (typeof conservatism !== 'number' || !(conservatism >= 0 && conservatism <= 1)) {
      throw new TypeError(`Expected \`conservatism\` to be a number from 0 (rewrite freely) to 1 (change as little as possible), got ${describe(conservatism)}.`)
    }
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError(`Expected \`maxRetries\` to be a non-negative integer, got ${describe(maxRetries)}.`)
    const { aggregator = 'optimizer', updater = 'optimizer' } = aliases
    for (const [name, alias] of [['aggregator', aggregator], ['updater', updater]] as const) {
      if (typeof alias !== 'string' || alias === '') throw new TypeError(`Expected \`aliases.${name}\` to be a non-empty string, got ${describe(alias)}.`)
    }
    this.conservatism = conservatism
    this.maxRetries = maxRetries
    this.#aggregator = new Prompter(aggregator, AGGREGATOR_SYSTEM, 'SFAOptimizer')
    this.#updater = new Prompter(updater, UPDATER_SYSTEM, 'SFAOptimizer')
  }

  protected prompters(): Prompter[] {
    return [this.#aggregator, this.#updater]
  }

  /**
   * One updater call per parameter with feedback, plus one aggregator call for each that has
   * several feedback items.
   *
   * @example
   * ```ts
   * optimizer.plan().calls // e.g. 3 for two parameters, one of them with two items
   * ```
   */
  plan(): StepPlan {
    const byAlias: Record<string, number> = {}
    const add = (alias: string, count: number) => {
      if (count > 0) byAlias[alias] = (byAlias[alias] ?? 0) + count
    }
    const parameters = this.pending().map((update) => {
      const aggregations = update.feedback.length > 1 ? 1 : 0
      add(this.#aggregator.alias, aggregations)
      add(this.#updater.alias, 1)
      return { path: update.path, feedback: update.feedback.length, level: update.level, calls: aggregations + 1 }
    })
    return { calls: parameters.reduce((sum, item) => sum + item.calls, 0), byAlias, parameters }
  }

  /**
   * Updates every learnable parameter with feedback, upstream first, and returns what changed.
   *
   * @example
   * ```ts
   * const changes = await optimizer.step()
   * ```
   */
  async step(options: StepOptions = {}): Promise<StepChanges> {
    this.assertBound()
    const pending = this.pending()
    const controller = new AbortController()
    const onAbort = () => controller.abort(options.signal!.reason)
    options.signal?.throwIfAborted()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const callOptions: StepOptions = { signal: controller.signal }
    if (options.onNode) callOptions.onNode = options.onNode
    const proposed = new Map<Parameter, { path: string; before: string; after: string }>()
    try {
      const levels = [...new Set(pending.map((update) => update.level))]
      for (const level of levels) {
        const updates = pending.filter((update) => update.level === level)
        // All of a level at once; the first failure stops the others.
        const values = await Promise.all(
          updates.map((update) =>
            this.#update(update, proposed, callOptions).catch((error: unknown) => {
              controller.abort(error)
              throw error
            }),
          ),
        )
        updates.forEach((update, index) => proposed.set(update.parameter, { path: update.path, before: update.parameter.value, after: values[index]! }))
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
    const changes: StepChanges = {}
    for (const [parameter, { path, before, after }] of proposed) {
      if (after === before) continue
      parameter.value = after
      changes[path] = { before, after }
    }
    this.completeStep()
    return changes
  }

  async #update(update: PendingUpdate, proposed: ReadonlyMap<Parameter, { path: string; before: string; after: string }>, options: StepOptions): Promise<string> {
    const feedback = update.feedback.length === 1 ? formatFeedbackItem(update.feedback[0]!) : await this.#aggregate(update, options)
    return this.askForValue(this.#updater, this.updaterPrompt(update, feedback, proposed), update.path, this.maxRetries, options)
  }

  async #aggregate(update: PendingUpdate, options: StepOptions): Promise<string> {
    const summary = (await this.#aggregator.complete(aggregatorPrompt(update.path, update.parameter, update.feedback), options)).trim()
    // An empty summary loses nothing: the updater then sees the items themselves.
    return summary === '' ? update.feedback.map(formatFeedbackItem).join('\n\n') : summary
  }

  /** The updater's prompt for `update`. */
  protected updaterPrompt(update: PendingUpdate, feedback: string, proposed: ReadonlyMap<Parameter, { path: string; before: string; after: string }>): string {
    const upstream = [...proposed].filter(([parameter, change]) => update.upstream.has(parameter) && change.after !== change.before)
    const upstreamSection =
      upstream.length === 0
        ? 'Upstream parameters changed in this step: none.'
        : `Upstream parameters already changed in this step (their outputs feed this parameter's step; keep the two consistent):\n${upstream
            .map(([, change]) => `- \`${change.path}\`\n  before:\n${fenced(change.before)}\n  after:\n${fenced(change.after)}`)
            .join('\n')}`
    return [
      `Parameter: \`${update.path}\``,
      `What it is for: ${update.parameter.description}`,
      `Current value:\n${fenced(update.parameter.value)}`,
      `Feedback (${update.feedback.length} ${update.feedback.length === 1 ? 'item' : 'items'}, scores ${update.feedback.flatMap((item) => item.scores).map(formatScore).join(', ')}):\n${fenced(feedback)}`,
      `Conservatism: ${formatScore(this.conservatism)} (0 = rewrite freely, 1 = change as little as possible). ${conservatismGuidance(this.conservatism)}`,
      upstreamSection,
      this.rejectedSection(update.parameter),
      'Reply with only the complete new value of the parameter.',
    ]
      .filter((part) => part !== undefined)
      .join('\n\n')
  }
}

/** The aggregator's prompt: every feedback item of one parameter. */
export function aggregatorPrompt(path: string, parameter: Parameter, items: readonly ParameterFeedback[]): string {
  return [
    `Parameter: \`${path}\``,
    `What it is for: ${parameter.description}`,
    `Current value:\n${fenced(parameter.value)}`,
    `${items.length} items of feedback:`,
    ...items.map((item, index) => `### Item ${index + 1}\n${formatFeedbackItem(item)}`),
    'Summarize what should change in the parameter.',
  ].join('\n\n')
}
