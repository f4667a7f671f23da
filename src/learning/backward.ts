/**
 * Backward passes: feedback walks a tape from where it entered (a loss node, or the run's output)
 * to every node upstream, in reverse topological order, as gradients do in PyTorch.
 *
 * Rules:
 * - A node passes the feedback on its output to each of its inputs (by id): multi-input calls,
 *   `select`, `render`, `derive` (also `collect` and adopted results), `await`, `cond`, `map` and
 *   any other kind alike, so feedback reaches the right producers.
 * - A node feeding several consumers waits for all of them and receives their feedback combined
 *   (critiques concatenated, scores listed).
 * - A node that read learnable parameters (an `LLMInference` with a Parameter as system prompt)
 *   accumulates, for each, the critique with what the node received and produced.
 * - With `gradients: 'llm'`, every LLM call with something learnable at or above it first asks an
 *   LLM how its output should have differed (a textual gradient); that answer is its own critique.
 *   Independent branches run concurrently; every call goes through the endpoint's limiter.
 * - A module with a `backward(feedback, context)` method decides what its inputs receive.
 */
import type { ChatMessage, Endpoint } from '../../runtime/endpoint.js'
import { PlaitError } from '../../runtime/errors.js'
import type { NodeRecord } from '../../runtime/run.js'
import type { Tape, TapeNode } from '../../runtime/tape.js'
import { Module } from '../module.js'
import { describe, Parameter } from '../parameter.js'
import { combineFeedback, toFeedback, type Feedback, type FeedbackInit } from './feedback.js'
import { addFeedback } from './parameter-feedback.js'
import { Prompter } from './prompter.js'
import { learnableParameters, outputNodes, tapeGraph, type TapeGraph } from './tape-graph.js'
import { DEFAULT_MAX_CHARS, showReceived, showValue } from './text.js'
import { gradientPrompt, GRADIENT_SYSTEM } from './textual-gradient.js'

/**
 * Options of a backward pass.
 *
 * @example
 * ```ts
 * await loss.backward({ gradients: 'llm', llm: openai({ model: 'gpt-4o' }) })
 * ```
 */
export interface BackwardOptions {
  /**
   * `'pass'` (default): every node passes the feedback it got to its inputs. `'llm'`: each LLM call
   * with something learnable at or above it first asks the `llm` endpoint how its output should
   * have differed, and passes that on (one extra call per such node).
   */
  gradients?: 'pass' | 'llm'
  /** The endpoint for textual gradients and for `context.llm()` in custom `backward()` methods. */
  llm?: Endpoint
  /**
   * The root module of the run the tape came from, to find modules with their own `backward()`.
   * A loss computed in the same run knows it already.
   */
  module?: Module
  /** How many characters of each received and produced value a feedback item keeps. Default 1500. */
  maxChars?: number
  /** Aborts the LLM calls of the pass. */
  signal?: AbortSignal
  /** Called as each LLM call of the pass settles (for usage accounting). */
  onNode?: (record: NodeRecord) => void
}

/**
 * Options of {@link backward} on a tape.
 *
 * @example
 * ```ts
 * await backward(tape, { score: 0, critique: 'Too long.' }, { at: ['polish'] })
 * ```
 */
export interface TapeBackwardOptions extends BackwardOptions {
  /** Ids of the nodes whose output the feedback is about. Default: the nodes the run's output came from. */
  at?: readonly string[]
}

/**
 * What a backward pass did.
 *
 * @example
 * ```ts
 * const report = await loss.backward()
 * report.parameters.length // parameters that received feedback
 * ```
 */
export interface BackwardReport {
  /** Nodes that received feedback. */
  nodes: number
  /** Learnable parameters that accumulated feedback, each once. */
  parameters: Parameter[]
  /** Feedback items added to parameters. */
  items: number
  /** LLM calls the pass made (textual gradients, `context.llm()`). */
  calls: number
}

/**
 * What a custom `backward()` is told.
 *
 * @example
 * ```ts
 * backward(feedback: Feedback, context: BackwardContext) {
 *   return context.inputs.map((input, index) => (index === 0 ? feedback : null))
 * }
 * ```
 */
export interface BackwardContext {
  /** Dotted path of the module in the run. */
  readonly module: string
  /** The module whose `backward()` runs. */
  readonly instance: Module
  /** The feedback on the module's output, combined over its consumers. */
  readonly feedback: Feedback
  /**
   * The upstream nodes that this call of the module read, with their values, in tape order: what
   * the return value is for (one feedback for all, or one per entry).
   */
  readonly inputs: ReadonlyArray<{ readonly id: string; readonly value: unknown }>
  /** What the call received: a leaf call's resolved arguments; for a composite, its inputs' values. */
  readonly received: readonly unknown[]
  /** What the module produced (the value of its last node that fed something outside it). */
  readonly output: unknown
  /** The tape nodes of this call of the module. */
  readonly nodes: readonly TapeNode[]
  readonly tape: Tape
  readonly signal: AbortSignal
  /**
   * Asks the backward pass's `llm` endpoint; `system` sets a system prompt.
   *
   * @example
   * ```ts
   * const advice = await context.llm(`Which input caused this? ${feedback.critique.join(' ')}`)
   * ```
   */
  llm(input: string | ChatMessage[], options?: { system?: string }): Promise<string>
}

/**
 * What a custom `backward()` returns: feedback for every input, one per input of
 * `context.inputs` (`null` for none), or `null` to stop the feedback here.
 *
 * @example
 * ```ts
 * const toAll: BackwardResult = { score: 0, critique: 'The query missed the date.' }
 * const perInput: BackwardResult = [{ score: 0, critique: 'Wrong document.' }, null]
 * ```
 */
export type BackwardResult = FeedbackInit | Feedback | null | ReadonlyArray<FeedbackInit | Feedback | null>

/**
 * A module with its own backward rule. Its `backward()` gets the feedback on its output and
 * decides what its inputs (the nodes upstream of it) receive. The module's own inner nodes and
 * parameters still learn from the feedback on its output as usual; only what leaves the module
 * upstream is replaced. A module called several times gets one call per call (for a composite:
 * per connected group of its nodes).
 *
 * @example
 * ```ts
 * class Retrieve extends Module<[string], string> implements CustomBackward {
 *   search = new LLMInference({ alias: 'fast', system: 'Write a search query.' })
 *   forward(question: string) { return this.search(question) }
 *   backward(feedback: Feedback) {
 *     return { score: feedback.score, critique: feedback.critique.map((line) => `The question was unclear: ${line}`) }
 *   }
 * }
 * ```
 */
export interface CustomBackward {
  backward(feedback: Feedback, context: BackwardContext): BackwardResult | Promise<BackwardResult>
}

/**
 * Runs a backward pass over `tape`: `feedback` enters at the nodes `at` (default: the nodes the
 * run's output came from) and flows upstream; learnable parameters accumulate it (see
 * `feedbackOf`). Use it for feedback that comes from elsewhere (a person, a later check);
 * `loss.backward()` calls it for losses.
 *
 * @example
 * ```ts
 * const { value, tape } = await pipeline.record(['question'])
 * await backward(tape, { score: 0, critique: 'Cite a source.' }, { module: pipeline.module })
 * ```
 */
export function backward(tape: Tape, feedback: FeedbackInit | Feedback, options: TapeBackwardOptions = {}): Promise<BackwardReport> {
  if (options === null || typeof options !== 'object') return Promise.reject(new TypeError(`Expected backward options to be an object, got ${describe(options)}.`))
  let modules: ReadonlyMap<string, Module> | undefined
  if (options.module !== undefined) {
    if (!(options.module instanceof Module)) return Promise.reject(new TypeError(`Expected \`module\` to be the root Module of the run, got ${describe(options.module)}.`))
    modules = new Map([...options.module.namedModules()])
  }
  return backwardPass(tape, feedback, options, modules)
}

interface HookInstance {
  key: string
  path: string
  module: Module & CustomBackward
  members: ReadonlySet<string>
  /** Upstream nodes it delivers to, in tape order. */
  inputs: string[]
}

interface Channel {
  to: string
  /** The tape node the delivered feedback is for. */
  input: string
}

interface Unit {
  key: string
  node?: TapeNode
  hook?: HookInstance
  incoming: Array<Feedback | undefined>
  out: Channel[]
  waiting: number
}

/** The backward pass itself; `modules` maps module paths of the run to instances. */
export async function backwardPass(
  tape: Tape,
  init: FeedbackInit | Feedback,
  options: TapeBackwardOptions,
  modules: ReadonlyMap<string, Module> | undefined,
): Promise<BackwardReport> {
  const { gradients = 'pass', maxChars = DEFAULT_MAX_CHARS } = options
  if (gradients !== 'pass' && gradients !== 'llm') throw new TypeError(`Expected \`gradients\` to be 'pass' or 'llm', got ${describe(gradients)}.`)
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new TypeError(`Expected \`maxChars\` to be a positive integer, got ${describe(maxChars)}.`)
  if (options.llm !== undefined && (options.llm as Partial<Endpoint> | null)?.isPlaitEndpoint !== true) {
    throw new TypeError(`Expected \`llm\` to be an endpoint (from \`openai()\`, \`simulated()\` or \`defineEndpoint()\`), got ${describe(options.llm)}.`)
  }
  if (gradients === 'llm' && !options.llm) {
    throw new PlaitError("Expected an `llm` endpoint for `gradients: 'llm'`: textual gradients are asked from an LLM. Pass one: `backward({ gradients: 'llm', llm: openai({ model: 'gpt-4o' }) })`.")
  }
  options.signal?.throwIfAborted()
  const feedback = toFeedback(init, 'the feedback passed to backward()')
  const graph = tapeGraph(tape)
  const entries = options.at ? [...options.at] : outputNodes(tape.output)
  for (const id of entries) {
    if (!graph.byId.has(id)) throw new PlaitError(`Expected \`at\` to name nodes of the tape; there is no node \`${id}\`. Nodes: ${[...graph.byId.keys()].join(', ') || 'none'}.`)
  }
  if (entries.length === 0) {
    throw new PlaitError('Expected the feedback to have a node to enter at; the run returned no value computed by its nodes (a literal output). Pass `at: [nodeId]` to say which nodes the feedback is about.')
  }

  const learnable = learnableAbove(graph)
  const hooks = hookInstances(graph, modules)
  const units = buildUnits(graph, hooks)
  const controller = new AbortController()
  const stopOuter = linkAbort(options.signal, controller)
  const report: BackwardReport = { nodes: 0, parameters: [], items: 0, calls: 0 }
  const countCalls = (record: NodeRecord) => {
    if (record.kind === 'call') report.calls += typeof record.details?.calls === 'number' ? record.details.calls : 1
    options.onNode?.(record)
  }
  const prompts = { signal: controller.signal, onNode: countCalls }
  let gradientLLM: Prompter | undefined
  let reasoningLLM: Prompter | undefined
  if (options.llm) {
    gradientLLM = new Prompter('gradient', GRADIENT_SYSTEM, 'backward()')
    gradientLLM.bind({ gradient: options.llm })
    reasoningLLM = new Prompter('reasoning', '', 'backward()')
    reasoningLLM.bind({ reasoning: options.llm })
  }
  const llm = async (input: string | ChatMessage[], llmOptions: { system?: string } = {}): Promise<string> => {
    if (!reasoningLLM) throw new PlaitError('Expected an `llm` endpoint for `context.llm()` in a custom backward(); pass one: `loss.backward({ llm: openai({ model: "gpt-4o" }) })`.')
    const messages: ChatMessage[] = typeof input === 'string' ? [{ role: 'user', content: input }] : [...input]
    if (llmOptions.system !== undefined) messages.unshift({ role: 'system', content: llmOptions.system })
    return reasoningLLM.complete(messages, prompts)
  }
  // Committed when the whole pass succeeded: a failed pass adds nothing.
  const items: Array<Parameters<typeof addFeedback>[0]> = []

  const processNode = async (node: TapeNode, incoming: Feedback | undefined): Promise<Feedback | undefined> => {
    if (!incoming) return undefined
    report.nodes++
    if (!learnable.has(node.id)) return undefined
    let own = incoming
    if (gradients === 'llm' && node.kind === 'call') {
      const reply = (await gradientLLM!.complete(gradientPrompt(node, incoming, maxChars), prompts)).trim()
      if (reply !== '') own = Object.freeze({ score: incoming.score, scores: incoming.scores, critique: Object.freeze([reply]) })
    }
    const parameters = learnableParameters(node)
    if (parameters.length > 0) {
      const received = showReceived(node.received ?? node.inputValues, maxChars)
      const produced = showValue(node.output, maxChars)
      for (const parameter of parameters) {
        items.push({
          parameter,
          description: parameter.description,
          node: node.id,
          module: node.module,
          moduleType: node.moduleType,
          received,
          produced,
          score: own.score,
          scores: own.scores,
          critique: own.critique,
        })
      }
    }
    return own
  }

  const processHook = async (hook: HookInstance, incoming: Feedback | undefined): Promise<Array<Feedback | undefined>> => {
    const none = hook.inputs.map(() => undefined)
    if (!incoming || !hook.inputs.some((id) => learnable.has(id))) return none
    const nodes = tape.nodes.filter((node) => hook.members.has(node.id))
    const inputs = hook.inputs.map((id) => ({ id, value: graph.byId.get(id)!.output }))
    const single = nodes.length === 1 ? nodes[0]! : undefined
    const outputs = nodes.filter((node) => entries.includes(node.id) || feedsOutside(graph, node.id, hook.members))
    const context: BackwardContext = {
      module: hook.path,
      instance: hook.module,
      feedback: incoming,
      inputs,
      received: single ? (single.received ?? single.inputValues) : inputs.map((input) => input.value),
      output: (outputs.at(-1) ?? nodes.at(-1))?.output,
      nodes,
      tape,
      signal: controller.signal,
      llm,
    }
    const result = await hook.module.backward(incoming, context)
    // Unchanged feedback stays the same object, so that it still counts once where paths meet.
    if (result === incoming) return hook.inputs.map(() => incoming)
    return hookFeedback(result, hook, inputs.length)
  }

  await new Promise<void>((resolve, reject) => {
    let pending = units.size
    let failed = false
    if (pending === 0) return resolve()
    const deliver = (unit: Unit, outgoing: (input: string) => Feedback | undefined) => {
      for (const channel of unit.out) {
        const target = units.get(channel.to)
        if (!target) continue
        target.incoming.push(outgoing(channel.input))
        if (--target.waiting === 0) start(target)
      }
      if (--pending === 0) resolve()
    }
    const start = (unit: Unit) => {
      if (failed) return
      const incoming = combineFeedback(unit.incoming)
      const work: Promise<(input: string) => Feedback | undefined> = unit.node
        ? processNode(unit.node, incoming).then((own) => () => own)
        : processHook(unit.hook!, incoming).then((list) => (input) => list[unit.hook!.inputs.indexOf(input)])
      work.then(
        (outgoing) => {
          if (!failed) deliver(unit, outgoing)
        },
        (error: unknown) => {
          if (failed) return
          failed = true
          controller.abort(error)
          reject(error)
        },
      )
    }
    for (const unit of [...units.values()]) if (unit.waiting === 0) start(unit)
  }).finally(stopOuter)

  for (const item of items) addFeedback(item, tape)
  report.items = items.length
  report.parameters = [...new Set(items.map((item) => item.parameter))]
  return report

  function buildUnits(graph: TapeGraph, hooks: HookInstance[]): Map<string, Unit> {
    const all = new Map<string, Unit>()
    for (const node of tape.nodes) all.set(`n:${node.id}`, { key: `n:${node.id}`, node, incoming: [], out: [], waiting: 0 })
    for (const hook of hooks) all.set(hook.key, { key: hook.key, hook, incoming: [], out: [], waiting: 0 })
    const instancesOf = new Map<string, HookInstance[]>()
    for (const hook of hooks) for (const id of hook.members) instancesOf.set(id, [...(instancesOf.get(id) ?? []), hook])
    const seen = new Set<string>()
    const hookChannels: Array<{ from: string; channel: Channel }> = []
    const add = (from: string, channel: Channel) => {
      const key = `${from}|${channel.to}|${channel.input}`
      if (seen.has(key)) return
      seen.add(key)
      all.get(from)!.out.push(channel)
    }
    // Consumers last to first, so that a hook sees what reaches its module from downstream first.
    for (let position = tape.nodes.length - 1; position >= 0; position--) {
      const consumer = tape.nodes[position]!
      const around = instancesOf.get(consumer.id) ?? []
      for (const input of graph.inputsOf.get(consumer.id) ?? []) {
        const exit = around.find((hook) => !hook.members.has(input))
        const from = exit ? exit.key : `n:${consumer.id}`
        if (exit && !exit.inputs.includes(input)) exit.inputs.push(input)
        add(from, { to: `n:${input}`, input })
        for (const hook of instancesOf.get(input) ?? []) {
          if (!hook.members.has(consumer.id)) hookChannels.push({ from, channel: { to: hook.key, input } })
        }
      }
    }
    for (const hook of hooks) hook.inputs.sort((a, b) => graph.index.get(a)! - graph.index.get(b)!)
    // Deliveries into a module's hook never close a cycle (a module whose forward() calls a
    // module outside it, which calls back in): such a delivery still reaches the node itself.
    for (const { from, channel } of hookChannels) if (!reaches(all, channel.to, from)) add(from, channel)
    // Feedback enters at the entry nodes (and the hooks of modules around them).
    for (const id of entries) {
      all.get(`n:${id}`)!.incoming.push(feedback)
      for (const hook of instancesOf.get(id) ?? []) all.get(hook.key)!.incoming.push(feedback)
    }
    const starts = [...all.values()].filter((unit) => unit.incoming.length > 0).map((unit) => unit.key)
    const live = new Set<string>(starts)
    for (let queue = [...starts]; queue.length > 0; ) {
      for (const channel of all.get(queue.pop()!)!.out) {
        if (!live.has(channel.to)) {
          live.add(channel.to)
          queue.push(channel.to)
        }
      }
    }
    const units = new Map([...all].filter(([key]) => live.has(key)))
    for (const unit of units.values()) for (const channel of unit.out) units.get(channel.to)!.waiting++
    assertAcyclic(units)
    return units
  }
}

/** Nodes with a learnable parameter at or above them. */
function learnableAbove(graph: TapeGraph): Set<string> {
  const found = new Set<string>()
  // Inputs may come later in the tape (adopted results): iterate until nothing changes.
  for (let changed = true; changed; ) {
    changed = false
    for (const node of graph.tape.nodes) {
      if (found.has(node.id)) continue
      if (learnableParameters(node).length > 0 || (graph.inputsOf.get(node.id) ?? []).some((id) => found.has(id))) {
        found.add(node.id)
        changed = true
      }
    }
  }
  return found
}

function hasBackward(module: Module): module is Module & CustomBackward {
  return typeof (module as Partial<CustomBackward>).backward === 'function'
}

/** One instance per call of each module with its own backward(). */
function hookInstances(graph: TapeGraph, modules: ReadonlyMap<string, Module> | undefined): HookInstance[] {
  if (!modules) return []
  const instances: HookInstance[] = []
  // Outermost modules first, so that `find` picks the outermost module a feedback leaves.
  const paths = [...modules.keys()].filter((path) => path !== '' && hasBackward(modules.get(path)!)).sort((a, b) => a.split('.').length - b.split('.').length)
  for (const path of paths) {
    const module = modules.get(path) as Module & CustomBackward
    const members = graph.tape.nodes.filter((node) => node.module === path || node.module.startsWith(`${path}.`)).map((node) => node.id)
    if (members.length === 0) continue
    const leaf = [...module.children()].length === 0
    const groups = leaf ? members.map((id) => [id]) : components(graph, members)
    groups.forEach((group, index) => instances.push({ key: `h:${path}#${index}`, path, module, members: new Set(group), inputs: [] }))
  }
  return instances
}

/** Connected groups of `members`, by the edges between them. */
function components(graph: TapeGraph, members: string[]): string[][] {
  const parent = new Map(members.map((id) => [id, id]))
  const find = (id: string): string => {
    let root = id
    while (parent.get(root) !== root) root = parent.get(root)!
    parent.set(id, root)
    return root
  }
  for (const id of members) {
    for (const input of graph.inputsOf.get(id) ?? []) if (parent.has(input)) parent.set(find(id), find(input))
  }
  const groups = new Map<string, string[]>()
  for (const id of members) groups.set(find(id), [...(groups.get(find(id)) ?? []), id])
  return [...groups.values()]
}

/** Whether some node outside `members` reads `id`. */
function feedsOutside(graph: TapeGraph, id: string, members: ReadonlySet<string>): boolean {
  for (const [consumer, inputs] of graph.inputsOf) if (!members.has(consumer) && inputs.includes(id)) return true
  return false
}

/** Every unit must become ready in turn; a cycle would wait forever. */
function assertAcyclic(units: Map<string, Unit>): void {
  const waiting = new Map([...units.values()].map((unit) => [unit.key, unit.waiting]))
  const ready = [...units.values()].filter((unit) => unit.waiting === 0).map((unit) => unit.key)
  let done = 0
  while (ready.length > 0) {
    done++
    for (const channel of units.get(ready.pop()!)!.out) {
      const left = waiting.get(channel.to)! - 1
      waiting.set(channel.to, left)
      if (left === 0) ready.push(channel.to)
    }
  }
  if (done !== units.size) {
    const stuck = [...waiting].filter(([, left]) => left > 0).map(([key]) => key.replace(/^[nh]:/, ''))
    throw new PlaitError(`Expected the tape to be acyclic for backward; these nodes depend on each other: ${stuck.join(', ')}. Please report this with the tape.`)
  }
}

function reaches(units: Map<string, Unit>, from: string, to: string): boolean {
  const seen = new Set([from])
  for (const queue = [from]; queue.length > 0; ) {
    const key = queue.pop()!
    if (key === to) return true
    for (const channel of units.get(key)?.out ?? []) {
      if (!seen.has(channel.to)) {
        seen.add(channel.to)
        queue.push(channel.to)
      }
    }
  }
  return false
}

function hookFeedback(result: unknown, hook: HookInstance, count: number): Array<Feedback | undefined> {
  const where = `the value returned by backward() of \`${hook.path}\` (${hook.module.constructor.name})`
  if (result === null) return Array.from({ length: count }, () => undefined)
  if (Array.isArray(result)) {
    if (result.length !== count) {
      throw new TypeError(`Expected ${where} to have one entry per input (${count}: ${hook.inputs.join(', ')}), got ${result.length}. Return one feedback for all inputs, or \`null\` for none.`)
    }
    return result.map((item: unknown, index) => (item === null ? undefined : toFeedback(item as FeedbackInit, `entry ${index} of ${where}`)))
  }
  if (result === undefined) {
    throw new TypeError(`Expected ${where} to be feedback (\`{ score, critique }\`), one per input, or \`null\`; it returned nothing. Return \`feedback\` to pass it on unchanged.`)
  }
  const single = toFeedback(result as FeedbackInit, where)
  return Array.from({ length: count }, () => single)
}

function linkAbort(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!signal) return () => {}
  if (signal.aborted) {
    controller.abort(signal.reason)
    return () => {}
  }
  const onAbort = () => controller.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}
