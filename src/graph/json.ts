/**
 * Deterministic JSON: the same value gives the same bytes, whatever order its keys were added in.
 * Graph files are written with it so that a rebuild is byte-identical.
 */

import type { Graph } from './types.js'

/**
 * Serializes a value like `JSON.stringify`, but with the keys of every object sorted (by UTF-16
 * code unit, the default `Array.prototype.sort` order, so `"10"` comes before `"2"`). Arrays keep
 * their order. As in `JSON.stringify`: `undefined`, functions and symbols are omitted from
 * objects and become `null` in arrays, non-finite numbers become `null`, and `toJSON()` is
 * honoured. A cycle or a `bigint` throws a `TypeError`.
 *
 * @param value - what to serialize.
 * @param indent - spaces per level (clamped to 0..10) or an indent string (first 10 characters);
 *   `0` or `''` gives compact output. Defaults to 2.
 * @returns the JSON text, without a trailing newline.
 * @throws TypeError for a cycle, a `bigint`, or a top-level value that JSON cannot represent
 *   (`undefined`, a function, a symbol), where `JSON.stringify` would return `undefined`.
 *
 * @example
 * ```ts
 * stableStringify({ b: 1, a: [true, { d: null, c: 'x' }] }, 0)
 * // => '{"a":[true,{"c":"x","d":null}],"b":1}'
 * ```
 */
export function stableStringify(value: unknown, indent: number | string = 2): string {
  const unit =
    typeof indent === 'number'
      ? ' '.repeat(Math.max(0, Math.min(10, Math.floor(indent))))
      : indent.slice(0, 10)
  const text = write(value, '', unit, new Set<object>(), '')
  if (text === undefined) throw new TypeError(`Cannot serialize ${typeof value} as JSON`)
  return text
}

/** Writes one value; returns `undefined` when the value is omitted (`undefined`, functions, symbols). */
function write(
  input: unknown,
  key: string,
  unit: string,
  seen: Set<object>,
  current: string,
): string | undefined {
  let value = input
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key)
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      throw new TypeError(`Cannot serialize a bigint (at key \`${key}\`) as JSON`)
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (value === null) return 'null'
  // Boxed primitives serialize as their primitive value, as in JSON.stringify.
  if (value instanceof String || value instanceof Number || value instanceof Boolean) {
    return write(value.valueOf(), key, unit, seen, current)
  }
  const object = value as object
  if (seen.has(object)) throw new TypeError('Cannot serialize a cyclic structure as JSON')
  seen.add(object)
  const inner = current + unit
  const open = unit === '' ? '' : `\n${inner}`
  const separator = unit === '' ? ',' : `,\n${inner}`
  const close = unit === '' ? '' : `\n${current}`
  let text: string
  if (Array.isArray(object)) {
    const items = object.map((item, index) => write(item, String(index), unit, seen, inner) ?? 'null')
    text = items.length === 0 ? '[]' : `[${open}${items.join(separator)}${close}]`
  } else {
    const colon = unit === '' ? ':' : ': '
    const entries: string[] = []
    for (const name of Object.keys(object).sort()) {
      const item = write((object as Record<string, unknown>)[name], name, unit, seen, inner)
      if (item !== undefined) entries.push(JSON.stringify(name) + colon + item)
    }
    text = entries.length === 0 ? '{}' : `{${open}${entries.join(separator)}${close}}`
  }
  seen.delete(object)
  return text
}

/**
 * The graph-file text of a graph: {@link stableStringify} with 2-space indentation and a trailing
 * newline. Two graphs with the same content give byte-identical text.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * writeFileSync('.plait/ExtractAndCompare.graph.json', graphToJSON(graph))
 * ```
 */
export function graphToJSON(graph: Graph): string {
  return `${stableStringify(graph, 2)}\n`
}
