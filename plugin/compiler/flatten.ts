/**
 * Composite children in graphs: a call of a child module whose class is compiled in the same file,
 * or in another file found through `resolve`, is replaced by the child's own nodes, as the runtime
 * flattens composites. Child nodes get ids
 * prefixed with the call's id (`left.first`) and module paths prefixed with the child's path; the
 * child's inputs become the nodes its arguments depend on.
 */
import type { Graph, GraphNode, OutputShape } from '../../src/graph/types.js'
import type { Candidate, FieldInfo } from './candidates.js'
import type { Lowered } from './lower.js'

/** The compiled graph of a module class imported from another file, for a field that holds one. */
export type ExternalGraphs = (field: FieldInfo) => Graph | undefined

/**
 * The nodes and output of `lowered` with the calls of same-file composite children inlined.
 *
 * @example
 * ```ts
 * const flat = flattenComposites(candidate, lowered, loweredByClass, candidatesByName)
 * flat.nodes.map((node) => node.id) // ['a', 'b', 'left.first', 'left.return', 'right.first', ...]
 * ```
 */
export function flattenComposites(
  candidate: Candidate,
  lowered: Lowered,
  byClass: Map<string, Lowered>,
  candidates: Map<string, Candidate>,
  external: ExternalGraphs = () => undefined,
  seen = new Set<string>(),
): { nodes: GraphNode[]; output: OutputShape } {
  if (seen.has(candidate.name)) return { nodes: lowered.nodes, output: lowered.output }
  const nested = new Set(seen).add(candidate.name)
  const rename = new Map<string, string[]>()
  // Ids after renaming, without repeats; `ids` itself when that changes nothing (the common case:
  // no child inlined before), so unchanged nodes are not copied.
  const mapIds = (ids: string[]) => (ids.some((id) => rename.has(id)) || (ids.length > 1 && new Set(ids).size !== ids.length) ? [...new Set(ids.flatMap((id) => rename.get(id) ?? [id]))] : ids)
  const nodes: GraphNode[] = []
  for (const node of lowered.nodes) {
    const call = node.kind === 'call' && node.module !== undefined && !node.module.includes('.') ? lowered.calls.get(node.id) : undefined
    const field = call ? candidate.fields.get(node.module!) : undefined
    const childCandidate = field?.type !== undefined && field.from === undefined ? candidates.get(field.type) : undefined
    const childLowered = childCandidate ? byClass.get(childCandidate.name) : undefined
    const childGraph = field?.from !== undefined ? external(field) : undefined
    const child = !call ? undefined : childGraph ? childGraph : childCandidate && childLowered && !nested.has(childCandidate.name) ? { ...flattenComposites(childCandidate, childLowered, byClass, candidates, external, nested), inputs: childLowered.inputs } : undefined
    if (!call || !child) {
      const inputs = mapIds(node.inputs)
      nodes.push(inputs === node.inputs ? node : { ...node, inputs })
      continue
    }
    const prefix = node.id
    const path = node.module!
    const inner = new Map<string, string[]>()
    child.inputs.forEach((input, index) => inner.set(input, mapIds(call.args[index] ?? [])))
    const control = call.control === undefined ? [] : mapIds([call.control])
    for (const childNode of child.nodes) {
      if (childNode.kind === 'input') continue
      const id = `${prefix}.${childNode.id}`
      const inputs = childNode.inputs.flatMap((input) => inner.get(input) ?? [`${prefix}.${input}`])
      const flat: GraphNode = { ...childNode, id, inputs: [...new Set([...control, ...inputs])], module: childNode.module ? `${path}.${childNode.module}` : path }
      if (childNode.kind === 'render') flat.inputs = inputs
      inner.set(childNode.id, [id])
      nodes.push(flat)
    }
    // What consumed the call now reads the child's output.
    const outputs: string[] = []
    const collect = (shape: OutputShape): void => {
      if ('node' in shape) outputs.push(...(inner.get(shape.node) ?? []))
      else if ('array' in shape) shape.array.forEach(collect)
      else if ('object' in shape) Object.values(shape.object).forEach(collect)
    }
    collect(child.output)
    rename.set(node.id, outputs)
  }
  const remap = (shape: OutputShape): OutputShape => {
    if ('node' in shape) {
      const ids = rename.get(shape.node)
      if (ids === undefined) return shape
      return ids.length === 1 ? { node: ids[0]! } : { array: ids.map((id) => ({ node: id })) }
    }
    if ('array' in shape) return { array: shape.array.map(remap) }
    if ('object' in shape) return { object: Object.fromEntries(Object.entries(shape.object).map(([key, value]) => [key, remap(value)])) }
    return shape
  }
  return { nodes, output: remap(lowered.output) }
}
