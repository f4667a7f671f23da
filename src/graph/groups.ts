/**
 * Groups the nodes of a graph by the composite module they belong to, as a tree that mirrors the
 * module tree. Mermaid draws each group as a `subgraph`, DOT as a `cluster_` subgraph.
 */

import type { Graph, GraphNode } from './types.js'

/** The nodes that belong to one composite module, and the groups of its composite children. */
export interface ModuleGroup {
  /** Dotted module path; `''` for the root. */
  path: string
  /** Class name of the module, when `graph.modules` lists it. */
  type?: string
  /** Nodes directly in this group, in graph order. */
  nodes: GraphNode[]
  /** Child groups, in order of their first node in the graph. */
  children: ModuleGroup[]
}

/** The dotted path one level up: `a.b` for `a.b.c`, `''` for `a`. */
function parentPath(path: string): string {
  const dot = path.lastIndexOf('.')
  return dot === -1 ? '' : path.slice(0, dot)
}

/**
 * The group path of a node. A `call` node stands for a leaf module, so it belongs to the leaf's
 * parent (`encoder.summarize` to `encoder`, `extractor` to the root); other nodes are made by the
 * `forward()` of the module in their `module` field, so they belong to that module.
 */
function groupPath(node: GraphNode): string {
  const module = node.module ?? ''
  return node.kind === 'call' ? parentPath(module) : module
}

/**
 * Builds the group tree of a graph: the root group (path `''`) holds the nodes made by the root
 * module, and one nested group per composite module path that has nodes at or below it.
 *
 * @example
 * ```ts
 * const root = groupByModule(graph)
 * root.children.map((group) => group.path) // => ['encoder']
 * root.children[0]?.nodes.map((node) => node.id) // => ['summary'] (a call of `encoder.summarize`)
 * ```
 */
export function groupByModule(graph: Graph): ModuleGroup {
  const types = new Map<string, string>()
  for (const module of graph.modules) if (!types.has(module.path)) types.set(module.path, module.type)
  const root: ModuleGroup = { path: '', nodes: [], children: [] }
  const byPath = new Map<string, ModuleGroup>([['', root]])

  const groupOf = (path: string): ModuleGroup => {
    const existing = byPath.get(path)
    if (existing !== undefined) return existing
    const group: ModuleGroup = { path, nodes: [], children: [] }
    const type = types.get(path)
    if (type !== undefined) group.type = type
    byPath.set(path, group)
    groupOf(parentPath(path)).children.push(group)
    return group
  }

  for (const node of graph.nodes) groupOf(groupPath(node)).nodes.push(node)
  return root
}
