/**
 * The LLM calls that learning makes outside a model's own run (optimizer updates, textual
 * gradients): each is a plait module (`LLMInference`) bound to endpoints, and each call is one
 * pipeline run, so it goes through the endpoint's limiter like every other call.
 */
import type { ChatMessage, Endpoint } from '../../runtime/endpoint.js'
import { PlaitError } from '../../runtime/errors.js'
import type { NodeRecord } from '../../runtime/run.js'
import { LLMInference, type LLMInput } from '../inference.js'
import type { Pipeline } from '../pipeline.js'

/**
 * Options of one call.
 *
 * @example
 * ```ts
 * await prompter.complete('Improve: ...', { signal, onNode: meter.onNode })
 * ```
 */
export interface PromptOptions {
  signal?: AbortSignal | undefined
  onNode?: ((record: NodeRecord) => void) | undefined
}

/**
 * An LLM call with a fixed role (`alias`, system prompt) that is bound later.
 *
 * @example
 * ```ts
 * const updater = new Prompter('optimizer', 'You improve prompts.', 'SFAOptimizer')
 * updater.bind({ optimizer: simulated() })
 * const text = await updater.complete('Improve: ...')
 * ```
 */
export class Prompter {
  readonly module: LLMInference
  #pipeline: Pipeline<[LLMInput], string> | undefined

  constructor(
    readonly alias: string,
    system: string,
    /** Who makes the call, for errors (`SFAOptimizer`). */
    readonly owner: string,
  ) {
    this.module = new LLMInference({ alias, system })
  }

  /**
   * Binds the endpoint of `alias` from `endpoints`; a missing alias is an error naming the owner.
   *
   * @example
   * ```ts
   * prompter.bind({ optimizer: openai({ model: 'gpt-4o' }) })
   * ```
   */
  bind(endpoints: Readonly<Record<string, Endpoint>>): void {
    if (!Object.hasOwn(endpoints, this.alias)) {
      throw new PlaitError(
        `Expected an endpoint for the alias \`${this.alias}\` that ${this.owner} calls; bound: ${Object.keys(endpoints).join(', ') || 'none'}. Pass it: \`bind({ endpoints: { ${this.alias}: simulated() } })\`.`,
      )
    }
    this.#pipeline = this.module.bind({ endpoints: { [this.alias]: endpoints[this.alias]! } })
  }

  /** Whether `bind()` gave it an endpoint. */
  get bound(): boolean {
    return this.#pipeline !== undefined
  }

  /**
   * One call, as one pipeline run: a prompt, or chat messages (sent after the fixed system prompt,
   * if any). Resolves to the reply text.
   *
   * @example
   * ```ts
   * const reply = await prompter.complete('Summarize the feedback: ...', { signal })
   * ```
   */
  async complete(input: string | ChatMessage[], options: PromptOptions = {}): Promise<string> {
    if (!this.#pipeline) throw new PlaitError(`Expected ${this.owner} to be bound to endpoints before it calls an LLM; call \`.bind({ endpoints: { ${this.alias}: simulated() } })\` first.`)
    const runOptions: { signal?: AbortSignal; onNode?: (record: NodeRecord) => void; record: false } = { record: false }
    if (options.signal) runOptions.signal = options.signal
    if (options.onNode) runOptions.onNode = options.onNode
    return this.#pipeline.run([input], runOptions)
  }
}
