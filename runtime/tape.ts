/**
 * Tapes: the record of one finished run that backward passes walk. A tape keeps, for every node,
 * what it received and produced, its timing and what its node function added (for LLM calls: the
 * parameters it read, the endpoint, usage). A tape belongs to the value it was recorded for; there
 * is no registry of tapes.
 */
import type { NodeKind, OutputShape, SourceLocation } from '../src/graph/types.js'
import { resolveCallSite } from './location.js'
import { outputShape, type Run, type RunNode, type Template } from './run.js'

/** One node of a tape. Times are milliseconds since the run started. */
export interface TapeNode {
  id: string
  kind: NodeKind
  /** Dotted module path (`encoder.summarize`); `''` for the root module's own code. */
  module: string
  moduleType?: string
  alias?: string
  /** Ids of the nodes it read, in input order. */
  inputs: string[]
  /** The resolved values of its input nodes, in input order. */
  inputValues: unknown[]
  /** For calls and method calls: the resolved arguments it was called with (literals too). */
  received?: unknown[]
  /**
   * For a node whose function built more graph (a `cond` branch, a `.map()` calling modules): the
   * id of the node its value came from (made later, so it comes after it on the tape).
   */
  from?: string
  /** What it produced. */
  output: unknown
  template?: string[]
  key?: string | number
  label?: string
  readyMs?: number
  startMs?: number
  endMs?: number
  /** What the node function added; LLM calls put `parameters` (the Parameters read) here. */
  details?: Record<string, unknown>
  /** Where forward() made the node (resolved when first read). */
  readonly loc: SourceLocation | undefined
}

/** The record of one run. */
export interface Tape {
  /** Number of the run, unique in the process. */
  run: number
  /** Nodes in the order they were made (a topological order). */
  nodes: TapeNode[]
  /** Where the output's values came from. */
  output: OutputShape
  /** The run's output. */
  value: unknown
}

/** Builds the tape of a finished run whose output was `output` (resolved to `value`). */
export function recordTape(run: Run, output: Template, value: unknown): Tape {
  const since = (time: number | undefined) => (time === undefined ? undefined : time - run.startedAt)
  const nodes = run.nodes.map((node: RunNode): TapeNode => {
    const { spec } = node
    const entry: TapeNode = {
      id: node.id,
      kind: spec.kind,
      module: node.module,
      inputs: spec.inputs.map((input) => input.id),
      inputValues: spec.inputs.map((input) => input.value),
      output: node.value,
      get loc() {
        const loc = resolveCallSite(spec.site)
        Object.defineProperty(this, 'loc', { value: loc, enumerable: true })
        return loc
      },
    }
    if (spec.moduleType !== undefined) entry.moduleType = spec.moduleType
    if (spec.alias !== undefined) entry.alias = spec.alias
    if (spec.template !== undefined) entry.template = spec.template
    if (spec.key !== undefined) entry.key = spec.key
    if (spec.label !== undefined) entry.label = spec.label
    if (node.readyAt !== undefined) entry.readyMs = since(node.readyAt)
    if (node.startedAt !== undefined) entry.startMs = since(node.startedAt)
    if (node.endedAt !== undefined) entry.endMs = since(node.endedAt)
    if (node.details !== undefined) entry.details = node.details
    if (node.received !== undefined) entry.received = node.received
    if (node.adopted !== undefined) entry.from = node.adopted.id
    return entry
  })
  return { run: run.number, nodes, output: outputShape(output), value }
}

const tapeKey = Symbol.for('plait.tape')

/**
 * Attaches `tape` to an object output, as a hidden property; primitives cannot carry one (use
 * `pipeline.record()` for those). Returns whether it was attached.
 */
export function attachTape(value: unknown, tape: Tape): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || !Object.isExtensible(value)) return false
  Object.defineProperty(value, tapeKey, { value: tape, configurable: true })
  return true
}

/**
 * The tape recorded for a value a pipeline returned in training mode (or with `record: true`),
 * if it is an object that carries one.
 *
 * @example
 * ```ts
 * model.train()
 * const feedback = await step(input, target)
 * const tape = tapeOf(feedback) // Tape | undefined
 * ```
 */
export function tapeOf(value: unknown): Tape | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined
  return (value as { [tapeKey]?: Tape })[tapeKey]
}
