/**
 * Mermaid node identifiers from arbitrary graph ids: deterministic, collision-free, and free of
 * the words and characters that break Mermaid's parser.
 */

/** Words Mermaid's flowchart lexer treats specially (compared lower-cased). */
const RESERVED = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'style',
  'linkstyle',
  'classdef',
  'class',
  'click',
  'call',
  'callback',
  'href',
  'default',
  'interpolate',
  'direction',
  'accdescr',
  'acctitle',
])

function isSafe(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(id) && !RESERVED.has(id.toLowerCase())
}

function sanitize(id: string): string {
  let base = id.replace(/[^A-Za-z0-9_]/g, '_')
  if (!/^[A-Za-z]/.test(base)) base = `n_${base}`
  if (RESERVED.has(base.toLowerCase())) base = `${base}_`
  return base
}

/** Maps graph ids to Mermaid ids, and makes fresh ids for things that are not nodes. */
export interface MermaidIds {
  /** The Mermaid id of a graph node id (the same answer every time). */
  node(id: string): string
  /** A new id, not used before, made from `base` (for subgraphs and the `output` node). */
  fresh(base: string): string
}

/**
 * Makes the id map of a graph. Ids that are already safe (a letter, then letters, digits and
 * `_`, and not a Mermaid keyword) are kept as they are; the others are sanitized (`a.b` becomes
 * `a_b`, `end` becomes `end_`) and, on a collision, get the first free suffix `_2`, `_3`, ...,
 * allocated in the order of `nodeIds`, so the result depends only on the graph.
 *
 * @example
 * ```ts
 * const ids = mermaidIds(['doc1', 'a.b', 'a_b', 'end'])
 * ids.node('a.b') // => 'a_b_2' ('a_b' is taken by the node of that id)
 * ids.node('end') // => 'end_'
 * ids.fresh('output') // => 'output'
 * ```
 */
export function mermaidIds(nodeIds: Iterable<string>): MermaidIds {
  const used = new Set<string>()
  const byId = new Map<string, string>()
  const ordered = [...nodeIds]
  for (const id of ordered) {
    if (isSafe(id) && !byId.has(id)) {
      byId.set(id, id)
      used.add(id)
    }
  }

  const fresh = (base: string): string => {
    const start = sanitize(base)
    let candidate = start
    for (let suffix = 2; used.has(candidate); suffix += 1) candidate = `${start}_${suffix}`
    used.add(candidate)
    return candidate
  }

  const node = (id: string): string => {
    let mapped = byId.get(id)
    if (mapped === undefined) {
      mapped = fresh(id)
      byId.set(id, mapped)
    }
    return mapped
  }

  for (const id of ordered) node(id)
  return { node, fresh }
}
