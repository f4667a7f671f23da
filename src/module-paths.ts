/**
 * The dotted path of every module of a tree, as `namedModules()` gives them. `namedModules()` is a
 * tree of generators (one per module, field and nested value); walked by hand, the same walk costs
 * a fraction of that. Each run needs the paths of the modules it calls, and a user may change the
 * tree between runs (or during one), so a run starts from the paths last walked and checks each
 * path as a module is called (`ModuleTree.pathOf`): the tree is walked again only when one no longer
 * holds. Walking it anew for every run made a run's cost grow with the tree: 8.8 ms per run for a
 * module with 10,000 children, one of them called (bench/README.md).
 */
import type { Module } from './module.js'
import { keepShape } from '../runtime/shapes.js'
import { walkField } from './field-walk.js'
import { childNamed, ownEntries } from './symbols.js'

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
  return walk(root).paths
}

/** A walk of a tree: each module's path, and the field names that lead to it from the root. */
interface Walk {
  readonly paths: Map<Module, string>
  readonly keys: Map<Module, readonly string[]>
}

/** The last walk of each root. */
const walks = new WeakMap<Module, Walk>()

function walk(root: Module): Walk {
  const paths = new Map<Module, string>()
  if (Base === undefined || root.namedModules !== Base.prototype.namedModules) {
    for (const [path, module] of root.namedModules()) paths.set(module, path)
  } else {
    visitModule(Base, root, '', paths)
  }
  const keys = new Map<Module, readonly string[]>()
  for (const [module, path] of paths) keys.set(module, path === '' ? [] : path.split('.'))
  const done = { paths, keys }
  walks.set(root, done)
  return done
}

/** Whether the placeholder that keeps a module tree's shape exists (see `keepTreeShape`). */
let treeShapeKept = false

/** Makes, with the first run, the placeholder that keeps the shape of a `ModuleTree` (runtime/shapes.ts): the tree of an empty module. */
function keepTreeShape(): void {
  treeShapeKept = true
  keepShape(new ModuleTree(new Base!()))
}

/**
 * The module tree of one run: the paths of its modules, checked as they are asked for.
 *
 * @example
 * ```ts
 * const tree = new ModuleTree(pipeline)
 * tree.pathOf(pipeline.extractor) // 'extractor'
 * ```
 */
export class ModuleTree {
  declare readonly root: Module
  declare private current: Walk
  /** Whether `current` was walked during this run (then it is not checked again). */
  declare private fresh: boolean

  constructor(root: Module) {
    if (!treeShapeKept) keepTreeShape()
    this.root = root
    const last = walks.get(root)
    this.current = last ?? walk(root)
    this.fresh = last === undefined
  }

  /** Every module's path, as known now (a module's own is checked by `pathOf`). */
  get paths(): ReadonlyMap<Module, string> {
    return this.current.paths
  }

  /**
   * The path of `module` in the tree as it is now, `undefined` when it is not in the tree. A path
   * from an earlier walk holds when its field names still lead from the root to `module`; else the
   * tree is walked again. (So a module reachable at two places keeps the one it was found at while
   * that still holds.)
   */
  pathOf(module: Module): string | undefined {
    const path = this.current.paths.get(module)
    if (this.fresh || (path !== undefined && leadsTo(this.root, this.current.keys.get(module)!, module))) return path
    this.current = walk(this.root)
    this.fresh = true
    return this.current.paths.get(module)
  }
}

/**
 * Whether the names `keys` lead from `root` to `module`: a field, array index or plain object key
 * is read as a property; a child of a module that lists its own (a container) is looked up through
 * it (`[childNamed]`, else by going through `namedChildren()`).
 */
function leadsTo(root: Module, keys: readonly string[], module: Module): boolean {
  let value: unknown = root
  for (let index = 0; index < keys.length; index++) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
    const key = keys[index]!
    value = Base !== undefined && value instanceof Base && listsOwnChildren(Base, value) ? childOf(value, key) : (value as Record<string, unknown>)[key]
  }
  return value === module
}

/** Whether `module`'s children come from its own `namedChildren` or `[ownEntries]` (a container), not from its fields. */
function listsOwnChildren(base: typeof Module, module: Module): boolean {
  return module.namedChildren !== base.prototype.namedChildren || module[ownEntries] !== base.prototype[ownEntries]
}

/** The child `module` names `name`. */
function childOf(module: Module, name: string): Module | undefined {
  const lookup = (module as Partial<Record<typeof childNamed, (name: string) => Module | undefined>>)[childNamed]
  if (lookup !== undefined) return lookup.call(module, name)
  for (const [childName, child] of module.namedChildren()) if (childName === name) return child
  return undefined
}

function visitModule(base: typeof Module, module: Module, path: string, paths: Map<Module, string>): void {
  if (paths.has(module)) return
  paths.set(module, path)
  if (listsOwnChildren(base, module)) {
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
