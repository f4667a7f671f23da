/**
 * The walk over one field's value that finds a module's children and parameters: the value
 * itself, or what arrays and plain objects hold (`experts.0`, `heads.title`), each object once.
 * `Module`'s own entries and the per-run module paths (module-paths.ts) both walk fields this way.
 */

/**
 * Calls `found` with the dotted path of every value in `value` that `isEntry` accepts, looking
 * into arrays and plain objects (not into other class instances, nor into what it found).
 *
 * @example
 * ```ts
 * walkField('heads', { title: summarizer }, (value) => value instanceof Module, (path, child) => children.push([path, child]))
 * // children: [['heads.title', summarizer]]
 * ```
 */
export function walkField<T>(path: string, value: unknown, isEntry: (value: unknown) => value is T, found: (path: string, entry: T) => void, seen: Set<unknown> = new Set()): void {
  if (isEntry(value)) {
    found(path, value)
    return
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return
  seen.add(value)
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) walkField(`${path}.${index}`, value[index], isEntry, found, seen)
    return
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return
  for (const key of Object.keys(value)) walkField(`${path}.${key}`, (value as Record<string, unknown>)[key], isEntry, found, seen)
}
