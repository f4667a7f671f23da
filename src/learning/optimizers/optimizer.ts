/**
 * The base of optimizers: which parameters an optimizer owns (with their dotted paths), its
 * endpoints, feedback clearing, planning and the shared rules of an update (an empty reply is
 * retried a bounded number of times). Each optimizer holds its own state; nothing is global.
 */
import type { Endpoint } from '../../../runtime/endpoint.js'
import { PlaitError } from '../../../runtime/errors.js'
import type { NodeRecord } from '../../../runtime/run.js'
import { Module } from '../../module.js'
import { describe, Parameter } from '../../parameter.js'
import { feedbackOf, zeroFeedback, type ParameterFeedback } from '../parameter-feedback.js'
import type { Prompter } from '../prompter.js'
import { fenced } from '../text.js'
import { orderParameters } from './order.js'

/**
 * The parameters an optimizer owns: a module (its `namedParameters()`), named parameters
 * (`model.namedParameters()`), or bare parameters (named `0`, `1`, ... by position).
 *
 * @example
 * ```ts
 * new SFAOptimizer(model)                      // keys like 'encoder.style'
 * new SFAOptimizer(model.namedParameters())    // the same
 * new SFAOptimizer([model.style])              // key '0'
 * ```
 */
export type ParametersInput = Module | Iterable<Parameter | readonly [string, Parameter]>

/**
 * One change a step made.
 *
 * @example
 * ```ts
 * const change: ParameterChange = { before: 'Answer.', after: 'Answer in one word.' }
 * ```
 */
export interface ParameterChange {
  before: string
  after: string
}

/**
 * What a step changed, keyed by dotted parameter path. Parameters it left alone are absent.
 *
 * @example
 * ```ts
 * const changes: StepChanges = await optimizer.step()
 * for (const [path, { before, after }] of Object.entries(changes)) console.log(path, before, '->', after)
 * ```
 */
export type StepChanges = Record<string, ParameterChange>

/**
 * What the next step will do, before it does it.
 *
 * @example
 * ```ts
 * const plan = optimizer.plan()
 * if (plan.calls > 50) throw new Error('too expensive')
 * ```
 */
export interface StepPlan {
  /** LLM calls the step makes when no reply has to be retried (each retry adds one). */
  calls: number
  /** Calls per endpoint alias. */
  byAlias: Record<string, number>
  /** The parameters the step will update (learnable, with feedback), in update order. */
  parameters: Array<{ path: string; feedback: number; level: number; calls: number }>
}

/**
 * Options of `step()`.
 *
 * @example
 * ```ts
 * await optimizer.step({ signal: AbortSignal.timeout(60_000) })
 * ```
 */
export interface StepOptions {
  signal?: AbortSignal
  /** Called as each LLM call of the step settles (for usage accounting). */
  onNode?: (record: NodeRecord) => void
}

/**
 * A parameter the next step updates, as a subclass of Optimizer sees it in `this.pending()`.
 *
 * @example
 * ```ts
 * for (const update of this.pending()) console.log(update.path, update.level, update.feedback.length)
 * ```
 */
export interface PendingUpdate {
  path: string
  parameter: Parameter
  feedback: readonly ParameterFeedback[]
  level: number
  /** Parameters upstream of this one in the graphs the feedback came from. */
  upstream: ReadonlySet<Parameter>
}

/**
 * The base of optimizers. Subclasses say which LLM calls they make (`prompters()`), plan and step.
 *
 * @example
 * ```ts
 * optimizer.zeroFeedback()
 * for (const loss of losses) await loss.backward()
 * console.log(optimizer.plan().calls)
 * const changes = await optimizer.step()
 * ```
 */
export abstract class Optimizer {
  readonly #entries: ReadonlyArray<readonly [string, Parameter]>
  readonly #rejected = new Map<Parameter, string[]>()
  #steps = 0

  constructor(parameters: ParametersInput) {
    this.#entries = namedEntries(parameters, this.constructor.name)
  }

  /**
   * The parameters this optimizer owns, with their paths.
   *
   * @example
   * ```ts
   * optimizer.parameters.map(([path]) => path) // ['draft.instruction', 'polish.style']
   * ```
   */
  get parameters(): ReadonlyArray<readonly [string, Parameter]> {
    return this.#entries
  }

  /**
   * Steps completed.
   *
   * @example
   * ```ts
   * optimizer.steps // 3
   * ```
   */
  get steps(): number {
    return this.#steps
  }

  /** The LLM calls of this optimizer, bound by `bind()` (a subclass makes them with `new Prompter(alias, system, name)`). */
  protected abstract prompters(): Prompter[]

  /**
   * Binds the optimizer's own aliases to endpoints; they may be the model's endpoint objects (and
   * share their limits) or others. Returns the optimizer.
   *
   * @example
   * ```ts
   * const optimizer = new SFAOptimizer(model, { conservatism: 0.5 }).bind({ endpoints: { optimizer: openai({ model: 'gpt-4o' }) } })
   * ```
   */
  bind(options: { endpoints: Readonly<Record<string, Endpoint>> }): this {
    if (options === null || typeof options !== 'object' || options.endpoints === null || typeof options.endpoints !== 'object') {
      throw new TypeError(`Expected bind options like \`{ endpoints: { optimizer: simulated() } }\`, got ${describe(options)}.`)
    }
    for (const prompter of this.prompters()) prompter.bind(options.endpoints)
    return this
  }

  /**
   * Clears the feedback of every parameter of this optimizer, and with it the tapes it held (as
   * `zero_grad()` does). Other parameters are untouched.
   *
   * @example
   * ```ts
   * optimizer.zeroFeedback()
   * ```
   */
  zeroFeedback(): void {
    zeroFeedback(this.#entries.map(([, parameter]) => parameter))
  }

  /**
   * What the next `step()` will do: which parameters it updates and how many LLM calls it makes.
   *
   * @example
   * ```ts
   * optimizer.plan() // { calls: 3, byAlias: { optimizer: 3 }, parameters: [...] }
   * ```
   */
  abstract plan(): StepPlan

  /**
   * Updates the parameters from their feedback and returns exactly what changed. The step is all
   * or nothing: when an update fails, no parameter is changed.
   *
   * @example
   * ```ts
   * const changes = await optimizer.step({ signal })
   * ```
   */
  abstract step(options?: StepOptions): Promise<StepChanges>

  /**
   * Tells the optimizer that these changes made things worse (and were rolled back): later
   * updates of those parameters are shown them, to avoid repeating them. `train()` does this.
   *
   * @example
   * ```ts
   * const changes = await optimizer.step()
   * if (worse) { model.loadStateDict(before); optimizer.reject(changes) }
   * ```
   */
  reject(changes: StepChanges): void {
    const byPath = new Map(this.#entries)
    for (const [path, change] of Object.entries(changes)) {
      const parameter = byPath.get(path)
      if (!parameter || typeof change?.after !== 'string') continue
      this.#rejected.set(parameter, [...(this.#rejected.get(parameter) ?? []), change.after].slice(-3))
    }
  }

  /** The parameters the next step updates (learnable, with feedback), ordered by level then path order. */
  protected pending(): PendingUpdate[] {
    const feedback = new Map<Parameter, readonly ParameterFeedback[]>()
    const paths = new Map<Parameter, string>()
    for (const [path, parameter] of this.#entries) {
      const items = feedbackOf(parameter)
      if (!parameter.requiresGrad || items.length === 0) continue
      feedback.set(parameter, items)
      paths.set(parameter, path)
    }
    const { level, upstream } = orderParameters(feedback)
    return [...feedback]
      .map(([parameter, items]) => ({ path: paths.get(parameter)!, parameter, feedback: items, level: level.get(parameter)!, upstream: upstream.get(parameter)! }))
      .sort((a, b) => a.level - b.level)
  }

  /** Throws when `bind()` has not given every alias of the optimizer an endpoint. */
  protected assertBound(): void {
    const unbound = this.prompters().filter((prompter) => !prompter.bound)
    if (unbound.length > 0) {
      const aliases = [...new Set(unbound.map((prompter) => prompter.alias))]
      throw new PlaitError(
        `Expected ${this.constructor.name} to be bound to endpoints before step(); call \`optimizer.bind({ endpoints: { ${aliases.map((alias) => `${alias}: simulated()`).join(', ')} } })\`.`,
      )
    }
  }

  /** Counts a completed step. */
  protected completeStep(): void {
    this.#steps++
  }

  /** Earlier values of `parameter` that made things worse, as a prompt section (or undefined). */
  protected rejectedSection(parameter: Parameter): string | undefined {
    const rejected = this.#rejected.get(parameter)
    if (!rejected || rejected.length === 0) return undefined
    return `Earlier updates of this parameter made the results worse and were undone; do not repeat them:\n${rejected.map((value) => fenced(value)).join('\n')}`
  }

  /**
   * Asks `prompter` for a new value; an empty reply (after trimming fences) is asked again, up to
   * `maxRetries` more times, then fails naming the parameter.
   */
  protected async askForValue(prompter: Prompter, prompt: string, path: string, maxRetries: number, options: StepOptions): Promise<string> {
    let input = prompt
    for (let attempt = 1; ; attempt++) {
      const value = cleanReply(await prompter.complete(input, options))
      if (value !== '') return value
      if (attempt > maxRetries) {
        throw new PlaitError(
          `Expected the updater (alias \`${prompter.alias}\`) of ${this.constructor.name} to reply with a new value for parameter \`${path}\`; ${attempt} ${attempt === 1 ? 'reply was' : 'replies were'} empty. No parameter was changed. Check the endpoint's model, or raise \`maxRetries\`.`,
        )
      }
      input = `${prompt}\n\n(Your previous reply was empty. Reply with the complete new value, and nothing else.)`
    }
  }
}

/** A reply without surrounding whitespace, code fences or the `<<< >>>` fences of the prompt. */
export function cleanReply(reply: string): string {
  let text = reply.trim()
  const fence = /^```[\w-]*\n([\s\S]*?)\n?```$/.exec(text)
  if (fence) text = fence[1]!.trim()
  const own = /^<<<\n?([\s\S]*?)\n?>>>$/.exec(text)
  if (own) text = own[1]!.trim()
  return text
}

function namedEntries(parameters: ParametersInput, owner: string): Array<readonly [string, Parameter]> {
  const list = parameters instanceof Module ? parameters.namedParameters() : parameters
  if (list === null || typeof list !== 'object' || typeof (list as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`Expected the parameters of ${owner} to be a Module, \`module.namedParameters()\` or an iterable of Parameters, got ${describe(parameters)}.`)
  }
  const entries: Array<readonly [string, Parameter]> = []
  const seen = new Set<Parameter>()
  const paths = new Set<string>()
  let position = 0
  for (const item of list as Iterable<unknown>) {
    const [path, parameter] = Array.isArray(item) ? (item as [unknown, unknown]) : [String(position), item]
    position++
    if (!(parameter instanceof Parameter)) throw new TypeError(`Expected every parameter of ${owner} to be a Parameter, got ${describe(parameter)}.`)
    if (typeof path !== 'string' || path === '') throw new TypeError(`Expected the path of a parameter of ${owner} to be a non-empty string, got ${describe(path)}.`)
    if (seen.has(parameter)) continue
    if (paths.has(path)) throw new PlaitError(`Expected the parameter paths of ${owner} to be distinct; \`${path}\` appears twice.`)
    seen.add(parameter)
    paths.add(path)
    entries.push([path, parameter] as const)
  }
  return entries
}
