/**
 * What the build step did with each module class: compiled (its `forward()` builds the graph with
 * no tracing; the compiler left a marker with the path of its graph file), fell back to the tracer
 * (the compiler left a marker with the diagnostic saying why), or never seen by a build step.
 * The runtime warns once per class that runs on the tracer while a build step is in use.
 */
import type { Diagnostic } from '../src/graph/types.js'

/** What the compiler says about a class, in the marker it adds to the class body. */
export interface CompilationMark {
  /** Root-relative source file of the class. */
  file?: string
  /** Root-relative path of the graph file of a compiled class (`.plait/src/app.ts/Pipeline.graph.json`). */
  graphFile?: string
  /** Why a class runs on the tracer (a PL2xx diagnostic, without its source line). */
  fallback?: Diagnostic
  /** forward() starts with `'use no plait'`: it runs on the tracer by choice, and nothing warns. */
  optedOut?: boolean
}

/** How a module class runs. */
export type Compilation =
  | { compiled: true; file?: string; graphFile?: string }
  | { compiled: false; reason: string; fallback?: Diagnostic; optedOut?: true }

const marks = new WeakMap<Function, CompilationMark>()
/** Classes already checked by `warnIfTraced` (compiled, or warned about). */
const checked = new WeakSet<Function>()
/** Whether any class in this process was compiled: then a class that was not is worth a warning. */
let buildStepSeen = false

/**
 * Called from the static block the compiler adds to each class it handled; not for user code.
 *
 * @example
 * ```ts
 * class Pipeline extends Module { static { mark(this, { graphFile: '.plait/src/app.ts/Pipeline.graph.json' }) } ... }
 * ```
 */
export function mark(moduleClass: Function, details: CompilationMark): void {
  marks.set(moduleClass, details)
  buildStepSeen = true
}

/**
 * How `moduleClass` (or the class of a module instance) runs: compiled, with its graph file, or
 * on the tracer, with the reason. A class inherits its base class's compiled `forward()` unless
 * it defines its own.
 *
 * @example
 * ```ts
 * import { compilationOf } from 'plait'
 * const how = compilationOf(ExtractAndCompare)
 * if (how.compiled) console.log(`graph: ${how.graphFile}`)
 * else console.warn(`traced: ${how.reason}`)
 * ```
 */
export function compilationOf(moduleOrClass: object): Compilation {
  // Module instances are callable (functions without an own `prototype`); classes have one.
  const moduleClass = Object.prototype.hasOwnProperty.call(moduleOrClass, 'prototype') ? (moduleOrClass as Function) : (moduleOrClass.constructor as Function)
  const owner = forwardOwner(moduleClass)
  const found = owner ? marks.get(owner) : undefined
  if (found?.optedOut) return { compiled: false, reason: "forward() opts out with 'use no plait'", optedOut: true }
  if (found?.fallback) return { compiled: false, reason: `${found.fallback.code}: ${found.fallback.text}`, fallback: found.fallback }
  if (found) return { compiled: true, ...(found.file === undefined ? {} : { file: found.file }), ...(found.graphFile === undefined ? {} : { graphFile: found.graphFile }) }
  return { compiled: false, reason: 'its file was not transformed by a plait build step (plait/vite, plait/register, plait build, ...)' }
}

/**
 * Warns once per class (`process.emitWarning`, code `PLAIT_TRACER_FALLBACK`) when a module runs on
 * the tracer while a build step is in use: either the compiler fell back for it (the warning
 * gives the diagnostic) or its file was left out of the build. Without any build step the
 * tracer is the normal path and nothing is said; a forward() that opts out with
 * `'use no plait'` is not warned about either. Silence it altogether with Node's
 * `--disable-warning=PLAIT_TRACER_FALLBACK`.
 *
 * @example
 * ```ts
 * // in Module's invoke, after forward() ran without entering compiled code:
 * warnIfTraced(module)
 * ```
 */
export function warnIfTraced(module: object): void {
  if (!buildStepSeen) return
  const moduleClass = module.constructor as Function
  if (checked.has(moduleClass)) return
  checked.add(moduleClass)
  const how = compilationOf(moduleClass)
  if (how.compiled || how.optedOut) return
  const where = how.fallback?.location ? ` (${how.fallback.location.file}:${how.fallback.location.line}:${how.fallback.location.column})` : ''
  process.emitWarning(`${moduleClass.name}.forward() runs on the runtime tracer: ${how.reason}${where}.${how.fallback?.suggestion ? ` Fix: ${how.fallback.suggestion}` : ''}`, {
    code: 'PLAIT_TRACER_FALLBACK',
  })
}

/** The class in the prototype chain of `moduleClass` that defines the `forward()` its instances run. */
function forwardOwner(moduleClass: Function): Function | undefined {
  for (let prototype = moduleClass.prototype as object | null; prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype) as object | null) {
    if (Object.prototype.hasOwnProperty.call(prototype, 'forward')) return (prototype as { constructor: Function }).constructor
  }
  return undefined
}
