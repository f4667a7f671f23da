/**
 * The dependency structure of a tape as backward passes and optimizers need it: which nodes each
 * node read (including results that a `derive` node adopted), and which nodes the output came from.
 */
import type { OutputShape } from '../graph/types.js'
import type { Tape, TapeNode } from '../../runtime/tape.js'
import { Parameter } from '../parameter.js'

/** A tape with lookups. */
export interface TapeGraph {
  readonly tape: Tape
  readonly byId: ReadonlyMap<string, TapeNode>
  /** Position of each node in the tape (a topological order). */
  readonly index: ReadonlyMap<string, number>
  /** The nodes each node read: its `inputs`, plus the node whose result a dynamic node adopted. */
  readonly inputsOf: ReadonlyMap<string, readonly string[]>
}

/**
 * Builds the lookups of `tape`.
 *
 * A node that runs user code (`derive`, `cond`, `map`, `effect`, `await`, ...) may return pending
 * values: a `.map()` whose callback called modules, the taken branch of a conditional. It then
 * resolves to the value of a node made while it ran (a `collect` node, or the one call it
 * returned); an `async forward()` resolves to the value of a node inside its module. The tape does
 * not list that node among the inputs, so it is found here: the last node made during (or, for an
 * async forward, inside) the dynamic node whose output is the very same value.
 */
export function tapeGraph(tape: Tape): TapeGraph {
  const byId = new Map(tape.nodes.map((node) => [node.id, node]))
  const index = new Map(tape.nodes.map((node, position) => [node.id, position]))
  const inputsOf = new Map<string, string[]>()
  tape.nodes.forEach((node, position) => {
    const inputs = node.inputs.filter((id) => byId.has(id))
    const adopted = staticKinds.has(node.kind) ? undefined : adoptedBy(tape.nodes, node, position)
    if (adopted && !inputs.includes(adopted.id)) inputs.push(adopted.id)
    inputsOf.set(node.id, inputs)
  })
  return { tape, byId, index, inputsOf }
}

/** Kinds whose value never comes from another node made later. */
const staticKinds = new Set<string>(['input', 'call', 'render', 'select'])

function adoptedBy(nodes: readonly TapeNode[], node: TapeNode, position: number): TapeNode | undefined {
  const asyncForward = node.label === 'async forward()'
  for (let other = nodes.length - 1; other >= 0; other--) {
    if (other === position) continue
    const candidate = nodes[other]!
    if (!Object.is(candidate.output, node.output) || candidate.output === undefined) continue
    const endedInTime = candidate.endMs === undefined || node.endMs === undefined || candidate.endMs <= node.endMs
    if (!endedInTime) continue
    if (other > position && (candidate.readyMs ?? candidate.startMs ?? 0) >= (node.startMs ?? 0)) return candidate
    if (asyncForward && node.module !== '' && (candidate.module === node.module || candidate.module.startsWith(`${node.module}.`))) return candidate
  }
  return undefined
}

/**
 * Ids of the nodes that a tape's output came from, in output order.
 *
 * @example
 * ```ts
 * outputNodes(tapeOf(result)!.output) // ['polish']
 * ```
 */
export function outputNodes(shape: OutputShape): string[] {
  const found: string[] = []
  const visit = (part: OutputShape) => {
    if ('node' in part) {
      if (!found.includes(part.node)) found.push(part.node)
    } else if ('array' in part) part.array.forEach(visit)
    else if ('object' in part) Object.values(part.object).forEach(visit)
  }
  visit(shape)
  return found
}

/** The learnable Parameters a node read (from `details.parameters`). */
export function learnableParameters(node: TapeNode): Parameter[] {
  const read = node.details?.parameters
  if (!Array.isArray(read)) return []
  return [...new Set(read.filter((parameter): parameter is Parameter => parameter instanceof Parameter && parameter.requiresGrad))]
}

/** Every node upstream of `id` (not `id` itself). */
export function ancestors(graph: TapeGraph, id: string, memo = new Map<string, ReadonlySet<string>>()): ReadonlySet<string> {
  const known = memo.get(id)
  if (known) return known
  const found = new Set<string>()
  memo.set(id, found) // guards against a cycle; filled in below
  for (const input of graph.inputsOf.get(id) ?? []) {
    found.add(input)
    for (const above of ancestors(graph, input, memo)) found.add(above)
  }
  return found
}
