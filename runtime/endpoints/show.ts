/**
 * A short rendering of a wrong value for an error message ("got ..."). Strings are cut to 40
 * characters; objects are named, never dumped, so a message cannot carry their contents.
 *
 * @example
 * ```ts
 * show(-1) // '-1'
 * show({ apiKey: 'x' }) // 'an object'
 * ```
 */
export function show(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return value === '' ? 'an empty string' : JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}
