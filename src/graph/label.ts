/**
 * The one-line text a renderer shows for a node. Mermaid and DOT both use it, so the two
 * drawings say the same thing; each renderer escapes it for its own syntax.
 */

import type { GraphNode } from './types.js'

/** Labels longer than this are cut, with an ellipsis. */
const MAX_LABEL = 48

/**
 * The label of a node, unescaped: a `call` node shows its module path and alias
 * (`extractor (fast)`), an `input` its name, a `render` node its template with `${id}` for each
 * input, a `select` node its key (`.summary`, `[0]`), other kinds their `label` or their kind.
 * Whitespace runs become one space; long labels are shortened.
 *
 * @example
 * ```ts
 * nodeLabel({ id: 'extractor', kind: 'call', inputs: ['doc1'], module: 'extractor', alias: 'fast' })
 * // => 'extractor (fast)'
 * nodeLabel({ id: 'prompt', kind: 'render', inputs: ['a'], template: ['Compare ', '.'] })
 * // => '`Compare ${a}.`'
 * ```
 */
export function nodeLabel(node: GraphNode): string {
  return shorten(rawLabel(node).replace(/\s+/g, ' ').trim())
}

function rawLabel(node: GraphNode): string {
  switch (node.kind) {
    case 'input':
      return node.label ?? node.id
    case 'call': {
      const name = node.module !== undefined && node.module !== '' ? node.module : (node.moduleType ?? node.id)
      return node.alias !== undefined && node.alias !== '' ? `${name} (${node.alias})` : name
    }
    case 'render': {
      if (node.template === undefined) return node.label ?? 'render'
      let text = node.template[0] ?? ''
      node.inputs.forEach((input, index) => {
        text += `\${${input}}${node.template?.[index + 1] ?? ''}`
      })
      return `\`${text}\``
    }
    case 'select':
      if (typeof node.key === 'number') return `[${node.key}]`
      if (typeof node.key === 'string') {
        return /^[A-Za-z_$][\w$]*$/.test(node.key) ? `.${node.key}` : `[${JSON.stringify(node.key)}]`
      }
      return node.label ?? 'select'
    default:
      return node.label ?? node.kind
  }
}

function shorten(text: string): string {
  const characters = [...text]
  if (characters.length <= MAX_LABEL) return text
  return `${characters.slice(0, MAX_LABEL - 1).join('')}…`
}
