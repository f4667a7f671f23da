/**
 * The nodes an output shape references, with where in the returned value each one ends up. The
 * renderers draw one edge per referenced node into the `output` node.
 */

import type { OutputShape } from './types.js'

/** One node referenced by an output shape, and its paths in the returned value. */
export interface OutputReference {
  node: string
  /** Paths such as `summary`, `[0]`, `pair[1].text`; `''` for the whole value. */
  paths: string[]
}

/**
 * Lists the nodes an output shape references, each once, in order of first appearance (object
 * keys are visited in sorted order, so the result does not depend on key insertion order).
 *
 * @example
 * ```ts
 * outputReferences({ object: { b: { node: 'x' }, a: { array: [{ node: 'x' }, { literal: 1 }] } } })
 * // => [{ node: 'x', paths: ['a[0]', 'b'] }]
 * ```
 */
export function outputReferences(shape: OutputShape): OutputReference[] {
  const byNode = new Map<string, OutputReference>()
  // Iterative walk: output shapes can be deep, and the order must be a stable pre-order.
  const stack: Array<{ shape: OutputShape; path: string }> = [{ shape, path: '' }]
  while (stack.length > 0) {
    const { shape: current, path } = stack.pop()!
    if ('node' in current) {
      const reference = byNode.get(current.node)
      if (reference === undefined) byNode.set(current.node, { node: current.node, paths: [path] })
      else reference.paths.push(path)
    } else if ('array' in current) {
      for (let index = current.array.length - 1; index >= 0; index -= 1) {
        stack.push({ shape: current.array[index]!, path: `${path}[${index}]` })
      }
    } else if ('object' in current) {
      const keys = Object.keys(current.object).sort()
      for (let index = keys.length - 1; index >= 0; index -= 1) {
        const key = keys[index]!
        stack.push({ shape: current.object[key]!, path: joinKey(path, key) })
      }
    }
  }
  return [...byNode.values()]
}

function joinKey(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`
  return path === '' ? key : `${path}.${key}`
}
