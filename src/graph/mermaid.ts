/**
 * The Mermaid rendering of a graph (`flowchart TD`), for Markdown files, GitHub and the Mermaid
 * live editor.
 */

import { groupByModule, type ModuleGroup } from './groups.js'
import { nodeLabel } from './label.js'
import { mermaidIds, type MermaidIds } from './mermaid-ids.js'
import { outputReferences } from './output.js'
import { KIND_COLORS, STYLED_KINDS, type StyledKind } from './style.js'
import type { Graph, GraphNode, NodeKind } from './types.js'

const INDENT = '  '

/** Opening and closing delimiters of each kind's shape. */
const SHAPES: Readonly<Record<StyledKind, readonly [string, string]>> = {
  input: ['([', '])'], // stadium
  call: ['[', ']'], // rectangle
  render: ['(', ')'], // rounded
  select: ['(', ')'],
  derive: ['(', ')'],
  effect: ['[[', ']]'], // subroutine
  cond: ['{', '}'], // rhombus
  map: ['{{', '}}'], // hexagon
  await: ['{{', '}}'],
  output: ['([', '])'],
}

const ENTITIES: Readonly<Record<string, string>> = {
  '#': '#35;',
  '"': '#quot;',
  '<': '#lt;',
  '>': '#gt;',
  '&': '#amp;',
  '`': '#96;',
}

/**
 * Escapes text for a quoted Mermaid label: `"` becomes `#quot;`, and `#`, `<`, `>`, `&` and
 * backticks become entity codes too, so no label can end the string, inject HTML or turn into a
 * Markdown string. Line breaks become spaces.
 *
 * @example
 * ```ts
 * escapeMermaidLabel('say "hi" #1') // => 'say #quot;hi#quot; #35;1'
 * ```
 */
export function escapeMermaidLabel(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[#"<>&`]/g, (character) => ENTITIES[character] ?? character)
}

/** The class name Mermaid styles a kind with (prefixed, so it can never be a Mermaid keyword). */
function className(kind: StyledKind): string {
  return `kind_${kind}`
}

function nodeLine(ids: MermaidIds, node: GraphNode): string {
  const [open, close] = SHAPES[node.kind] ?? SHAPES.derive
  return `${ids.node(node.id)}${open}"${escapeMermaidLabel(nodeLabel(node))}"${close}:::${className(node.kind)}`
}

function groupTitle(group: ModuleGroup): string {
  return group.type === undefined ? group.path : `${group.path}: ${group.type}`
}

function writeGroup(lines: string[], ids: MermaidIds, group: ModuleGroup, depth: number): void {
  const indent = INDENT.repeat(depth)
  for (const node of group.nodes) lines.push(indent + nodeLine(ids, node))
  for (const child of group.children) {
    const id = ids.fresh(`mod_${child.path}`)
    lines.push(`${indent}subgraph ${id} ["${escapeMermaidLabel(groupTitle(child))}"]`)
    writeGroup(lines, ids, child, depth + 1)
    lines.push(`${indent}end`)
  }
}

/**
 * Renders a graph as a Mermaid flowchart. Nodes are drawn by kind (input: stadium, call:
 * rectangle labelled with module path and alias, render/select/derive: rounded, effect:
 * subroutine, cond: rhombus, map/await: hexagon), nodes of composite modules sit in nested
 * `subgraph` blocks, and an `output` node receives an edge from every node the output shape
 * references (labelled with where the value ends up). Node ids are sanitized deterministically
 * (see {@link mermaidIds}); each kind gets a `classDef` with its colours. The text ends with a
 * newline and is the same for the same graph.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * writeFileSync('.plait/ExtractAndCompare.mmd', toMermaid(graph))
 * // flowchart TD
 * //   doc1(["doc1"]):::kind_input
 * //   extractor["extractor (fast)"]:::kind_call
 * //   ...
 * ```
 */
export function toMermaid(graph: Graph): string {
  const ids = mermaidIds(graph.nodes.map((node) => node.id))
  const lines = ['flowchart TD']
  writeGroup(lines, ids, groupByModule(graph), 1)

  const output = ids.fresh('output')
  lines.push(`${INDENT}${output}${SHAPES.output[0]}"output"${SHAPES.output[1]}:::${className('output')}`)

  for (const node of graph.nodes) {
    for (const input of new Set(node.inputs)) lines.push(`${INDENT}${ids.node(input)} --> ${ids.node(node.id)}`)
  }
  for (const reference of outputReferences(graph.output)) {
    const label = reference.paths.filter((path) => path !== '').join(', ')
    const arrow = label === '' ? '-->' : `-->|"${escapeMermaidLabel(label)}"|`
    lines.push(`${INDENT}${ids.node(reference.node)} ${arrow} ${output}`)
  }

  const present = new Set<StyledKind>(graph.nodes.map((node): NodeKind => node.kind))
  present.add('output')
  for (const kind of STYLED_KINDS) {
    if (!present.has(kind)) continue
    const colors = KIND_COLORS[kind]
    lines.push(`${INDENT}classDef ${className(kind)} fill:${colors.fill},stroke:${colors.stroke},color:${colors.text}`)
  }
  return `${lines.join('\n')}\n`
}
