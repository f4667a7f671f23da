/**
 * The Graphviz DOT rendering of a graph (`dot -Tsvg`), with the same content as the Mermaid one.
 */

import { groupByModule, type ModuleGroup } from './groups.js'
import { nodeLabel } from './label.js'
import { outputReferences } from './output.js'
import { KIND_COLORS, type StyledKind } from './style.js'
import type { Graph, GraphNode } from './types.js'

const INDENT = '  '

/** Shape and style of each kind. */
const SHAPES: Readonly<Record<StyledKind, { shape: string; style: string }>> = {
  input: { shape: 'oval', style: 'filled' },
  call: { shape: 'box', style: 'filled' },
  render: { shape: 'box', style: 'rounded,filled' },
  select: { shape: 'box', style: 'rounded,filled' },
  derive: { shape: 'box', style: 'rounded,filled' },
  effect: { shape: 'component', style: 'filled' },
  cond: { shape: 'diamond', style: 'filled' },
  map: { shape: 'hexagon', style: 'filled' },
  await: { shape: 'hexagon', style: 'filled' },
  output: { shape: 'oval', style: 'filled' },
}

/**
 * Quotes text as a DOT string: backslashes and double quotes are escaped and line breaks become
 * `\n`, so any id or label round-trips and none can end the string.
 *
 * @example
 * ```ts
 * quoteDot('say "hi"') // => '"say \\"hi\\""'
 * ```
 */
export function quoteDot(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r\n|\r|\n/g, '\\n')}"`
}

function attributes(kind: StyledKind, label: string, extra = ''): string {
  const shape = SHAPES[kind] ?? SHAPES.derive
  const colors = KIND_COLORS[kind] ?? KIND_COLORS.derive
  return (
    `[label=${quoteDot(label)}, shape=${shape.shape}, style=${quoteDot(shape.style)}, ` +
    `fillcolor=${quoteDot(colors.fill)}, color=${quoteDot(colors.stroke)}, fontcolor=${quoteDot(colors.text)}${extra}]`
  )
}

function nodeLine(node: GraphNode): string {
  return `${quoteDot(node.id)} ${attributes(node.kind, nodeLabel(node))};`
}

function writeGroup(lines: string[], group: ModuleGroup, depth: number): void {
  const indent = INDENT.repeat(depth)
  for (const node of group.nodes) lines.push(indent + nodeLine(node))
  for (const child of group.children) {
    const title = child.type === undefined ? child.path : `${child.path}: ${child.type}`
    lines.push(`${indent}subgraph ${quoteDot(`cluster_${child.path}`)} {`)
    lines.push(`${indent}${INDENT}label=${quoteDot(title)};`)
    lines.push(`${indent}${INDENT}style="rounded,dashed";`)
    lines.push(`${indent}${INDENT}color="#90a4ae";`)
    writeGroup(lines, child, depth + 1)
    lines.push(`${indent}}`)
  }
}

/**
 * Renders a graph as a Graphviz `digraph`: the same nodes, labels, module groups (as `cluster_`
 * subgraphs, nested like the module tree) and `output` node as {@link toMermaid}, with quoted ids
 * and escaped labels. The `output` node is called `output`, or `output_2`, ... when a graph node
 * already has that id. The text ends with a newline and is the same for the same graph.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * writeFileSync('.plait/ExtractAndCompare.dot', toDot(graph)) // then: dot -Tsvg -O ...
 * ```
 */
export function toDot(graph: Graph): string {
  const lines = [
    `digraph ${quoteDot(graph.name)} {`,
    `${INDENT}graph [rankdir=TB, fontname="Helvetica", fontsize=11];`,
    `${INDENT}node [fontname="Helvetica", fontsize=11];`,
    `${INDENT}edge [fontname="Helvetica", fontsize=9, color="#607d8b"];`,
  ]
  writeGroup(lines, groupByModule(graph), 1)

  const taken = new Set(graph.nodes.map((node) => node.id))
  let output = 'output'
  for (let suffix = 2; taken.has(output); suffix += 1) output = `output_${suffix}`
  lines.push(`${INDENT}${quoteDot(output)} ${attributes('output', 'output', ', peripheries=2')};`)

  for (const node of graph.nodes) {
    for (const input of new Set(node.inputs)) lines.push(`${INDENT}${quoteDot(input)} -> ${quoteDot(node.id)};`)
  }
  for (const reference of outputReferences(graph.output)) {
    const label = reference.paths.filter((path) => path !== '').join(', ')
    const extra = label === '' ? '' : ` [label=${quoteDot(label)}]`
    lines.push(`${INDENT}${quoteDot(reference.node)} -> ${quoteDot(output)}${extra};`)
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}
