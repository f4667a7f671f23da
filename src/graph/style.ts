/**
 * Colours of each node kind, shared by the Mermaid and DOT renderings so both look alike.
 */

import { NODE_KINDS } from './kinds.js'
import type { NodeKind } from './types.js'

/** What a renderer can style: a node kind, or the synthetic `output` node. */
export type StyledKind = NodeKind | 'output'

/** Fill, border and text colour of one kind. */
export interface KindColors {
  fill: string
  stroke: string
  text: string
}

/** Every kind, in the order renderers emit their styles. */
export const STYLED_KINDS: readonly StyledKind[] = [...NODE_KINDS, 'output']

/**
 * The colours of each kind: calls (the expensive part) stand out in orange.
 *
 * @example
 * ```ts
 * KIND_COLORS.call.fill // => '#fff3e0'
 * ```
 */
export const KIND_COLORS: Readonly<Record<StyledKind, KindColors>> = {
  input: { fill: '#e3f2fd', stroke: '#1e88e5', text: '#0d47a1' },
  call: { fill: '#fff3e0', stroke: '#fb8c00', text: '#e65100' },
  render: { fill: '#e8f5e9', stroke: '#43a047', text: '#1b5e20' },
  select: { fill: '#f3e5f5', stroke: '#8e24aa', text: '#4a148c' },
  derive: { fill: '#ede7f6', stroke: '#5e35b1', text: '#311b92' },
  effect: { fill: '#fce4ec', stroke: '#d81b60', text: '#880e4f' },
  cond: { fill: '#fffde7', stroke: '#f9a825', text: '#f57f17' },
  map: { fill: '#e0f7fa', stroke: '#00acc1', text: '#006064' },
  await: { fill: '#eceff1', stroke: '#546e7a', text: '#263238' },
  output: { fill: '#f1f8e9', stroke: '#7cb342', text: '#33691e' },
}
