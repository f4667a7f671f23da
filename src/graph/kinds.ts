import type { NodeKind } from './types.js'

/**
 * Every node kind of graph IR version 1, in a fixed order (renderers emit their styles in it).
 *
 * @example
 * ```ts
 * NODE_KINDS.includes('call') // true
 * ```
 */
export const NODE_KINDS: readonly NodeKind[] = ['input', 'call', 'render', 'select', 'derive', 'effect', 'cond', 'map', 'await']
