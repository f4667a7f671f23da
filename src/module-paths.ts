/**
 * The dotted path of every module of a tree, as `namedModules()` gives them, computed for every
 * run. `namedModules()` is a tree of generators (one per module, field and nested value); walked
 * by hand, the same walk costs a fraction of that, which matters because each run of a pipeline
 * needs the paths before its first call.
 */
import type { Module } from './module.js'
import { walkField } from './field-walk.js'
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
  for (const key of Object.keys(fields)) {
    const value = fields[key]
    // Most fields are text, numbers or a child module (a function: modules are callable): no walk, no closures.
    if (value instanceof base) visitModule(base, value, path === '' ? key : `${path}.${key}`, paths)
    else if (value !== null && typeof value === 'object') walkField(key, value, (entry: unknown): entry is Module => entry instanceof base, (name, child) => visitModule(base, child, path === '' ? name : `${path}.${name}`, paths))
  }
}
