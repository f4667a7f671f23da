/**
 * `LLMInference`: the leaf module that makes one LLM call through an endpoint alias.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { currentRun } from '../runtime/context.js'
import type { Backend, BackendCallOptions, CallOutcome } from '../runtime/backend.js'
import type { ChatMessage, CompletionRequest } from '../runtime/endpoint.js'
import { startDirect } from '../runtime/direct.js'
import type { CallEvent } from '../runtime/events.js'
import { PlaitError } from '../runtime/errors.js'
import { futureFor } from '../runtime/future.js'
import { captureCallSite, type CallSite } from '../runtime/location.js'
import type { ExecuteContext, Run } from '../runtime/run.js'
import type { StaticCall } from '../runtime/compiled.js'
import { invoke, Module, modulePath, outsideRunError, recordsCallSite } from './module.js'
import { describe, Parameter } from './parameter.js'
import type { PipelineServices } from './services.js'
import { isStandardSchema, parseStructured, responseFormatFor } from './structured.js'

/** The input of an LLM call: a user message, or whole chat messages. */
export type LLMInput = string | ChatMessage[]

/** Options of an LLMInference. */
export interface LLMInferenceOptions<Out, In extends unknown[]> {
  /** Endpoint alias, bound later with `bind({ endpoints: { [alias]: ... } })`. */
  alias: string
  /** System prompt: a fixed string (empty: no system message) or a learnable Parameter. */
  system?: string | Parameter
  temperature?: number
  maxTokens?: number
  topP?: number
  seed?: number
  stop?: string | string[]
  /** Further request options sent as they are (`{ presence_penalty: 0.5 }`). */
  requestOptions?: Record<string, unknown>
  /** A Standard Schema (zod, valibot, arktype...): the reply is requested as JSON, parsed and validated. */
  output?: StandardSchemaV1<unknown, Out>
  /** How many times an invalid structured reply is re-asked before the call fails. Default 2. */
  validationRetries?: number
  /** How several positional inputs become one input; without it a call takes exactly one input. */
  combine?: (...inputs: In) => LLMInput
}

/** A structured reply stayed invalid after every re-ask. */
export class OutputValidationError extends PlaitError {
  override name = 'OutputValidationError'
  /** Issues of the last reply, as `path: message`. */
  readonly issues: string[]
  /** The last reply (truncated to 2,000 characters). */
  readonly reply: string
  constructor(attempts: number, issues: string[], reply: string) {
    super(`Expected a reply that fits the output schema; ${attempts} ${attempts === 1 ? 'reply' : 'replies'} did not. Issues of the last one: ${issues.join('; ')}`)
    this.issues = issues
    this.reply = reply.length > 2000 ? `${reply.slice(0, 2000)}…` : reply
  }
}

/**
 * One LLM call. Its call type is `string`, or the output type of its `output` schema.
 *
 * @example
 * ```ts
 * const extractor = new LLMInference({ alias: 'fast', system: 'Extract the main facts as a bulleted list.' })
 * const sentiment = new LLMInference({
 *   alias: 'fast',
 *   system: 'Classify the sentiment.',
 *   output: z.object({ label: z.enum(['positive', 'negative']), confidence: z.number() }),
 * })
 * // inside forward(): const { label } = this.sentiment(review)
 * ```
 */
export class LLMInference<Out = string, In extends unknown[] = [input: LLMInput]> extends Module<In, Out> {
  readonly alias: string
  /** The system prompt; a Parameter is read at call time. */
  readonly system: string | Parameter
  readonly output: StandardSchemaV1<unknown, Out> | undefined
  /** Calls of this module become nodes with the caller's source location. */
  readonly [recordsCallSite] = true
  readonly #request: Omit<CompletionRequest, 'messages'>
  /** `#request` as the records show it (`details.request`), shared by the calls without a response format. */
  readonly #settings: Omit<CompletionRequest, 'messages'>
  readonly #validationRetries: number
  readonly #combine: ((...inputs: In) => LLMInput) | undefined
  /** The node function of this module's calls: one for all of them. */
  #execute: ((values: unknown[], context: ExecuteContext) => unknown) | undefined

  constructor(options: LLMInferenceOptions<Out, In>) {
    super()
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected LLMInference options to be an object, got ${describe(options)}.`)
    const { alias, system = '', output, validationRetries = 2, combine } = options
    if (typeof alias !== 'string' || alias === '') throw new TypeError(`Expected \`alias\` to be a non-empty string (the endpoint alias), got ${describe(alias)}.`)
    if (typeof system !== 'string' && !(system instanceof Parameter)) throw new TypeError(`Expected \`system\` to be a string or a Parameter, got ${describe(system)}.`)
    if (output !== undefined && !isStandardSchema(output)) {
      throw new TypeError(`Expected \`output\` to be a Standard Schema (zod, valibot, arktype...), got ${describe(output)}.`)
    }
    if (!Number.isInteger(validationRetries) || validationRetries < 0) throw new TypeError(`Expected \`validationRetries\` to be a non-negative integer, got ${describe(validationRetries)}.`)
    if (combine !== undefined && typeof combine !== 'function') throw new TypeError(`Expected \`combine\` to be a function, got ${describe(combine)}.`)
    for (const name of ['temperature', 'maxTokens', 'topP', 'seed'] as const) {
      const value = options[name]
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) throw new TypeError(`Expected \`${name}\` to be a finite number, got ${describe(value)}.`)
    }
    this.alias = alias
    this.system = system
    this.output = output
    this.#validationRetries = validationRetries
    this.#combine = combine
    const request: Omit<CompletionRequest, 'messages'> = {}
    if (options.temperature !== undefined) request.temperature = options.temperature
    if (options.maxTokens !== undefined) request.maxTokens = options.maxTokens
    const extra: Record<string, unknown> = { ...options.requestOptions }
    if (options.topP !== undefined) extra.top_p = options.topP
    if (options.seed !== undefined) extra.seed = options.seed
    if (options.stop !== undefined) extra.stop = options.stop
    if (Object.keys(extra).length > 0) request.options = extra
    this.#request = request
    this.#settings = { ...request }
  }

  /**
   * Inside a run: adds this call to the graph and returns its pending result at once.
   * The call starts the moment its input has resolved.
   */
  override forward(...inputs: In): Out {
    const run = currentRun() as Run<PipelineServices> | undefined
    if (!run) throw outsideRunError(this)
    return this[invoke](run, inputs) as Out
  }

  override [invoke](run: Run<PipelineServices>, inputs: unknown[], call?: StaticCall, callerSite?: CallSite): unknown {
    const path = modulePath(run, this)
    if (inputs.length !== 1 && !this.#combine) {
      throw new TypeError(
        `Expected one input for \`${path}\` (${this.constructor.name}), got ${inputs.length}. Combine them first (\`this.${path.split('.').at(-1)}(\`\${a}\\n\\n\${b}\`)\`) or pass \`combine: (a, b) => ...\` to its options.`,
      )
    }
    const site = call ? call.site : (callerSite ?? captureCallSite())
    const spec = { kind: 'call' as const, base: call?.id ?? path, module: path, moduleType: this.constructor.name, alias: this.alias, site }
    const node = run.addCall(spec, inputs, (this.#execute ??= (values, context) => this.#complete(values as In, context as ExecuteContext & { run: Run<PipelineServices> })))
    return futureFor(node)
  }

  /** The chat messages of one call: the system prompt (read now) and the input. */
  messagesFor(input: LLMInput): ChatMessage[] {
    const system = typeof this.system === 'string' ? this.system : this.system.value
    const messages: ChatMessage[] = system === '' ? [] : [{ role: 'system', content: system }]
    if (typeof input === 'string') {
      messages.push({ role: 'user', content: input })
      return messages
    }
    if (!Array.isArray(input) || !input.every(isChatMessage)) {
      throw new TypeError(`Expected the input to be a string or chat messages ({ role, content } with string content), got ${describe(input)}.`)
    }
    return messages.concat(input)
  }

  /**
   * Runs the call. Without an output schema it is one request and no async function: a direct call
   * (runtime/direct.ts) when nothing reads its details and nothing stands between it and its
   * endpoint, else a promise chained on the backend's; with one, replies are parsed and re-asked in
   * `#completeStructured`.
   */
  #complete(inputs: In, context: ExecuteContext & { run: Run<PipelineServices> }): unknown {
    const backend = context.run.services.backend
    if (!backend) throw new PlaitError('Expected a backend to run this call; the run has none (was it traced rather than run?).')
    const input = this.#combine ? this.#combine(...inputs) : (inputs[0] as LLMInput)
    const messages = this.messagesFor(input)
    // Not `{ ...this.#request, messages }`: on V8 a spread followed by more properties is slow. Nor
    // `messages` added to a copy: a field added afterwards makes a map that a full GC frees with the
    // request, where a literal's lasts (runtime/shapes.ts).
    const request = Object.assign({ messages }, this.#request) as CompletionRequest
    if (this.output) request.responseFormat = responseFormatFor(this.output, context.node.module || this.constructor.name)
    if (!this.output && !context.run.recording) {
      // Nobody reads this call's details (no tape, no records): no details, no events.
      if (context.node.scope === undefined) {
        const started = startDirect(backend, this.alias, request, context)
        if (started !== undefined) return started
      }
      const run = context.run
      const options = run.prioritized ? { signal: context.signal, priority: run.priorityOf(context.node), run } : { signal: context.signal, run }
      return backend.complete(this.alias, request, options).then(replyText) as Promise<Out>
    }
    const details: Record<string, unknown> = (context.node.details = { calls: 0, system: messages[0]?.role === 'system' ? messages[0].content : '' })
    // The request without its messages; without a response format that is the same for every call.
    details.request = request.responseFormat === undefined ? this.#settings : { ...this.#request, responseFormat: request.responseFormat }
    if (this.system instanceof Parameter) details.parameters = [this.system]
    const events: CallEvent[] = []
    details.events = events
    const onEvent = collectInto(events)
    const run = context.run
    const options = run.prioritized ? { signal: context.signal, onEvent, priority: run.priorityOf(context.node), run } : { signal: context.signal, onEvent, run }
    if (!this.output) return backend.complete(this.alias, request, options).then((outcome) => recordOutcome(details, request, outcome, 1).text as Out)
    return this.#completeStructured(this.output, backend, request, options, details)
  }

  async #completeStructured(output: StandardSchemaV1<unknown, Out>, backend: Backend, request: CompletionRequest, options: BackendCallOptions, details: Record<string, unknown>): Promise<Out> {
    const attempts = this.#validationRetries + 1
    for (let attempt = 1; ; attempt++) {
      const outcome = recordOutcome(details, request, await backend.complete(this.alias, request, options), attempt)
      const parsed = await parseStructured(output, outcome.text)
      if (parsed.ok) return parsed.value
      if (attempt >= attempts) throw new OutputValidationError(attempt, parsed.issues, outcome.text)
      request.messages = [
        ...request.messages,
        { role: 'assistant', content: outcome.text },
        { role: 'user', content: `That reply does not fit the required JSON output: ${parsed.issues.join('; ')}. Reply again with only the corrected JSON.` },
      ]
    }
  }
}

/** Keeps what attempt number `attempt` of a call sent and got in its node's details; returns `outcome`. */
function recordOutcome(details: Record<string, unknown>, request: CompletionRequest, outcome: CallOutcome, attempt: number): CallOutcome {
  details.calls = attempt
  details.endpoint = outcome.endpoint
  details.queuedMs = outcome.queuedMs
  details.responseModel = outcome.model
  if (outcome.alias !== undefined) details.answeredBy = outcome.alias
  if (outcome.attempts !== undefined) details.attempts = outcome.attempts
  // What was sent and answered last, for records and (when opted in) telemetry content.
  details.messages = request.messages
  details.reply = outcome.text
  if (outcome.usage) details.usage = outcome.usage
  return outcome
}

/** The reply of a call whose details nobody reads. */
function replyText(outcome: CallOutcome): string {
  return outcome.text
}

/** A listener that appends each event to `events` (an anonymous closure: see `newTargetFunction` in runtime/future.ts). */
function collectInto(events: CallEvent[]): (event: CallEvent) => void {
  return (event) => {
    events.push(event)
  }
}

function isChatMessage(value: unknown): value is ChatMessage {
  if (value === null || typeof value !== 'object') return false
  const { role, content } = value as Record<string, unknown>
  return (role === 'system' || role === 'user' || role === 'assistant') && typeof content === 'string'
}
