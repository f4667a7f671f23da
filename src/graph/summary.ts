/**
 * The numbers a person wants first about a graph: how many LLM calls, how many round trips in a
 * row at least (critical path), how many at once at most (width), and calls per endpoint alias.
 */

import type { Graph, GraphSummary, NodeKind } from './types.js'

/** The key under which `call` nodes without an alias are counted. */
const NO_ALIAS = '(none)'

/**
 * Summarizes a graph in linear time (one pass over nodes and edges, relying on the topological
 * order of `nodes`; an input that is not an earlier node counts as having no calls behind it).
 * The call depth of a call node is 1 + the largest call depth among the call nodes it depends on
 * (through nodes of any kind); `criticalPath` is the largest call depth (0 without calls), and
 * `maxWidth` the largest number of call nodes sharing one call depth. `callsPerAlias` and `kinds`
 * have their keys sorted; calls without an alias count under `(none)`.
 *
 * @example
 * ```ts
 * summarizeGraph(graph)
 * // => { name: 'ExtractAndCompare', nodes: 6, calls: 3, criticalPath: 2, maxWidth: 2,
 * //      callsPerAlias: { fast: 2, smart: 1 }, kinds: { call: 3, input: 2, render: 1 } }
 * ```
 */
export function summarizeGraph(graph: Graph): GraphSummary {
  const nodes = graph.nodes
  // depth[i]: the most call nodes on any path ending at node i (its call depth, for a call node).
  const depth = new Int32Array(nodes.length)
  const indexOf = new Map<string, number>()
  const widthAt: number[] = []
  const aliases = new Map<string, number>()
  const kinds = new Map<NodeKind, number>()
  let calls = 0
  let criticalPath = 0

  nodes.forEach((node, index) => {
    let behind = 0
    for (const input of node.inputs) {
      const source = indexOf.get(input)
      if (source !== undefined && depth[source]! > behind) behind = depth[source]!
    }
    kinds.set(node.kind, (kinds.get(node.kind) ?? 0) + 1)
    if (node.kind === 'call') {
      behind += 1
      calls += 1
      widthAt[behind] = (widthAt[behind] ?? 0) + 1
      const alias = node.alias !== undefined && node.alias !== '' ? node.alias : NO_ALIAS
      aliases.set(alias, (aliases.get(alias) ?? 0) + 1)
    }
    depth[index] = behind
    if (behind > criticalPath) criticalPath = behind
    if (!indexOf.has(node.id)) indexOf.set(node.id, index)
  })

  let maxWidth = 0
  for (const width of widthAt) if (width !== undefined && width > maxWidth) maxWidth = width

  return {
    name: graph.name,
    nodes: nodes.length,
    calls,
    criticalPath,
    maxWidth,
    callsPerAlias: Object.fromEntries([...aliases].sort(([a], [b]) => compare(a, b))),
    kinds: Object.fromEntries([...kinds].sort(([a], [b]) => compare(a, b))) as GraphSummary['kinds'],
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

function counts(record: Record<string, number | undefined>): string {
  const entries = Object.entries(record).filter((entry): entry is [string, number] => entry[1] !== undefined)
  return entries.length === 0 ? 'none' : entries.map(([key, count]) => `${key} ${count}`).join(', ')
}

/**
 * Formats a summary as three lines of text (no trailing newline): totals, calls per alias and
 * nodes per kind.
 *
 * @example
 * ```ts
 * console.log(formatSummary(summarizeGraph(graph)))
 * // ExtractAndCompare: 6 nodes, 3 LLM calls, critical path 2 calls, max width 2
 * // calls per alias: fast 2, smart 1
 * // nodes per kind: call 3, input 2, render 1
 * ```
 */
export function formatSummary(summary: GraphSummary): string {
  return [
    `${summary.name}: ${plural(summary.nodes, 'node')}, ${plural(summary.calls, 'LLM call')}, ` +
      `critical path ${plural(summary.criticalPath, 'call')}, max width ${summary.maxWidth}`,
    `calls per alias: ${counts(summary.callsPerAlias)}`,
    `nodes per kind: ${counts(summary.kinds)}`,
  ].join('\n')
}
