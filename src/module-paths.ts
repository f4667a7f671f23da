/**
 * The dotted path of every module of a tree, as `namedModules()` gives them, computed for every
 * run. `namedModules()` is a tree of generators (one per module, field and nested value); walked
 * by hand, the same walk costs a fraction of that, which matters because each run of a pipeline
 * needs the paths before its first call.
 */
import type { Module } from './module.js'
import { ownEntries } from './symbols.js'

/** The base class, handed over by module.ts as it loads (importing it here would close a cycle through pipeline.ts). */
let Base: typeof Module | undefined

/** Tells this file the `Module` class (module.ts does, once). */
export function setModuleClass(base: typeof Module): void {
  Base = base
}

/**
 * Paths of every module of the tree rooted at `root` (`''` for the root), in `namedModules()`
 * order, each module once under its first path. Modules that override `namedModules`,
 * `namedChildren` or `[ownEntries]` (containers) are asked through those methods.
 *
 * @example
 * ```ts
 * modulePaths(pipeline) // Map { pipeline => '', pipeline.extractor => 'extractor', ... }
 * ```
 */
export function modulePaths(root: Module): Map<Module, string> {
  const paths = new Map<Module, string>()
  if (Base === undefined || root.namedModules !== Base.prototype.namedModules) {
    for (const [path, module] of root.namedModules()) paths.set(module, path)
    return paths
  }
  visitModule(Base, root, '', paths)
  return paths
}

function visitModule(base: typeof Module, module: Module, path: string, paths: Map<Module, string>): void {
  if (paths.has(module)) return
  paths.set(module, path)
  if (module.namedChildren !== base.prototype.namedChildren || module[ownEntries] !== base.prototype[ownEntries]) {
    for (const [name, child] of module.namedChildren()) visitModule(base, child, path === '' ? name : `${path}.${name}`, paths)
    return
  }
  const fields = module as unknown as Record<string, unknown>
  for (const key of Object.keys(fields)) visitField(base, key, fields[key], path, paths, undefined)
}

/** What `walkField` (module.ts) walks for `[ownEntries]`: modules in arrays and plain objects too, each object once per field. */
function visitField(base: typeof Module, name: string, value: unknown, path: string, paths: Map<Module, string>, seen: Set<unknown> | undefined): void {
  if (value instanceof base) {
    visitModule(base, value, path === '' ? name : `${path}.${name}`, paths)
    return
  }
  if (value === null || typeof value !== 'object') return
  if (seen === undefined) seen = new Set()
  else if (seen.has(value)) return
  seen.add(value)
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) visitField(base, `${name}.${index}`, value[index], path, paths, seen)
    return
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return
  for (const key of Object.keys(value)) visitField(base, `${name}.${key}`, (value as Record<string, unknown>)[key], path, paths, seen)
}
