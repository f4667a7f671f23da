/**
 * Orders learnable parameters by the graphs they were used in: a parameter read by a node
 * upstream of a node reading another parameter comes first. Parameters on one level do not depend
 * on each other and can be updated in parallel.
 */
import type { Tape } from '../../../runtime/tape.js'
import type { Parameter } from '../../parameter.js'
import type { ParameterFeedback } from '../parameter-feedback.js'
import { ancestors, learnableParameters, tapeGraph } from '../tape-graph.js'

/** Levels (0 = most upstream) and, for each parameter, the parameters upstream of it. */
export interface ParameterOrder {
  level: Map<Parameter, number>
  upstream: Map<Parameter, Set<Parameter>>
}

/**
 * Orders `parameters` by the tapes their feedback came from. Parameters that depend on each other
 * both ways (one run reads A before B, another B before A; or a shared parameter) share a level.
 *
 * @example
 * ```ts
 * const { level } = orderParameters(new Map([[draft, feedbackOf(draft)], [polish, feedbackOf(polish)]]))
 * level.get(draft) // 0
 * level.get(polish) // 1
 * ```
 */
export function orderParameters(feedback: ReadonlyMap<Parameter, readonly ParameterFeedback[]>): ParameterOrder {
  const parameters = [...feedback.keys()]
  const wanted = new Set(parameters)
  const upstream = new Map(parameters.map((parameter) => [parameter, new Set<Parameter>()]))
  const tapes = new Set<Tape>()
  for (const items of feedback.values()) for (const item of items) tapes.add(item.tape)
  for (const tape of tapes) {
    const graph = tapeGraph(tape)
    const reads = new Map<string, Parameter[]>()
    for (const node of tape.nodes) {
      const read = learnableParameters(node).filter((parameter) => wanted.has(parameter))
      if (read.length > 0) reads.set(node.id, read)
    }
    const memo = new Map<string, ReadonlySet<string>>()
    for (const [id, below] of reads) {
      for (const above of ancestors(graph, id, memo)) {
        for (const from of reads.get(above) ?? []) for (const to of below) if (from !== to) upstream.get(to)!.add(from)
      }
    }
  }
  return { level: levels(parameters, upstream), upstream }
}

/** Longest-path levels over the graph of strongly connected groups. */
function levels(parameters: Parameter[], upstream: Map<Parameter, Set<Parameter>>): Map<Parameter, number> {
  const group = stronglyConnected(parameters, upstream)
  const level = new Map<Parameter, number>()
  const groupLevel = new Map<number, number>()
  const visiting = new Set<number>()
  const levelOf = (id: number): number => {
    const known = groupLevel.get(id)
    if (known !== undefined) return known
    visiting.add(id)
    let value = 0
    for (const parameter of parameters) {
      if (group.get(parameter) !== id) continue
      for (const from of upstream.get(parameter)!) {
        const other = group.get(from)!
        if (other !== id && !visiting.has(other)) value = Math.max(value, levelOf(other) + 1)
      }
    }
    visiting.delete(id)
    groupLevel.set(id, value)
    return value
  }
  for (const parameter of parameters) level.set(parameter, levelOf(group.get(parameter)!))
  return level
}

/** Tarjan's algorithm: the group number of each parameter. */
function stronglyConnected(parameters: Parameter[], upstream: Map<Parameter, Set<Parameter>>): Map<Parameter, number> {
  const index = new Map<Parameter, number>()
  const low = new Map<Parameter, number>()
  const stack: Parameter[] = []
  const onStack = new Set<Parameter>()
  const group = new Map<Parameter, number>()
  let counter = 0
  let groups = 0
  const visit = (parameter: Parameter) => {
    index.set(parameter, counter)
    low.set(parameter, counter++)
    stack.push(parameter)
    onStack.add(parameter)
    for (const next of upstream.get(parameter)!) {
      if (!index.has(next)) {
        visit(next)
        low.set(parameter, Math.min(low.get(parameter)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(parameter, Math.min(low.get(parameter)!, index.get(next)!))
    }
    if (low.get(parameter) === index.get(parameter)) {
      for (let member = stack.pop()!; ; member = stack.pop()!) {
        onStack.delete(member)
        group.set(member, groups)
        if (member === parameter) break
      }
      groups++
    }
  }
  for (const parameter of parameters) if (!index.has(parameter)) visit(parameter)
  return group
}
