/**
 * `Module`: the unit of a plait pipeline, like `nn.Module`. Instances are callable
 * (`this.extractor(doc)`); children and parameters are found from the instance's fields.
 */
import type { Graph } from './graph/types.js'
import { compilationOf, warnIfTraced } from '../runtime/compilation.js'
import { currentRun, inRun } from '../runtime/context.js'
import { PlaitError } from '../runtime/errors.js'
import { captureCallSite, type CallSite } from '../runtime/location.js'
import { futureFor, unwrapAwait } from '../runtime/future.js'
import { outsideRunError as runOutsideError, type StaticCall } from '../runtime/compiled.js'
import { Run, type RunNode } from '../runtime/run.js'
import { describe, Parameter } from './parameter.js'
import { walkField } from './field-walk.js'
import { ModuleTree, setModuleClass } from './module-paths.js'
import { bindModule, type BindOptions, type Pipeline } from './pipeline.js'
import type { PipelineServices } from './services.js'
import { invoke, ownEntries } from './symbols.js'

export { invoke, ownEntries }
const state = Symbol('plait.state')

/**
 * Set (to `true`) by modules whose calls become nodes that keep a source location
 * (LLMInference): calling such a module as a function captures the caller's line for `[invoke]`.
 *
 * @example
 * ```ts
 * class Leaf extends Module { readonly [recordsCallSite] = true }
 * ```
 */
export const recordsCallSite: unique symbol = Symbol('plait.recordsCallSite')

/** Modules are callable: a call runs `forward()` as part of the current run. */
export interface Module<In extends unknown[] = any[], Out = any> {
  (...args: In): Out
}

/**
 * Base class of every module. Subclass it, declare children and parameters as fields, and write
 * a synchronous-looking `forward()`; inside it a child call gives the child's output type.
 *
 * @example
 * ```ts
 * class Summarize extends Module<[text: string], string> {
 *   summarizer = new LLMInference({ alias: 'fast', system: 'Summarize in one line.' })
 *   forward(text: string): string {
 *     return this.summarizer(text)
 *   }
 * }
 * const summarize = new Summarize().bind({ endpoints: { fast: simulated() } })
 * console.log(await summarize('A long text...'))
 * ```
 */
export class Module<In extends unknown[] = any[], Out = any> {
  /** Whether calls of this module keep the caller's source location (see `recordsCallSite`). */
  declare readonly [recordsCallSite]?: boolean

  constructor() {
    // Named after the class as it is made (a computed key names the function): redefining `name`
    // or deleting `length` afterwards would turn every module into a slow dictionary-mode object,
    // and each of its fields into a hash lookup on every call.
    const name = new.target.name
    // The call site is captured right here, in the function the user called: V8's cost grows with
    // each frame it walks (see captureCallSite), and this is the frame just above the user's line.
    const callable = {
      [name]: (...args: unknown[]) =>
        callModule(callable as unknown as Module, args, (callable as unknown as Module)[recordsCallSite] === true ? captureCallSite(callable) : undefined),
    }[name]!
    Object.setPrototypeOf(callable, new.target.prototype)
    // A function's own `length` would hide a container's `length` getter: only those pay for deleting it.
    if ('length' in new.target.prototype) delete (callable as { length?: number }).length
    Object.defineProperty(callable, state, { value: { training: false } })
    // Fields of subclasses are defined on the callable, which becomes `this` for them.
    return callable as unknown as Module<In, Out>
  }

  /** What the module computes. Override it; the base one says what is missing. */
  forward(...args: In): Out {
    void args
    throw new PlaitError(`Expected ${this.constructor.name} to define forward(); a Module subclass computes its output there.`)
  }

  /**
   * Direct children and parameters found from the instance's own fields, in field order:
   * modules and parameters, inside arrays and plain objects too (`experts.0`, `heads.title`).
   * Containers override this.
   */
  *[ownEntries](): Iterable<[string, Module | Parameter]> {
    const entries: Array<[string, Module | Parameter]> = []
    const fields = this as unknown as Record<string, unknown>
    for (const key of Object.keys(fields)) walkField(key, fields[key], isModuleOrParameter, (path, entry) => entries.push([path, entry]))
    yield* entries
  }

  /**
   * Direct child modules with their field names.
   *
   * @example
   * ```ts
   * for (const [name, child] of module.namedChildren()) console.log(name, child.constructor.name)
   * ```
   */
  *namedChildren(): Iterable<[string, Module]> {
    for (const [name, entry] of this[ownEntries]()) if (entry instanceof Module) yield [name, entry]
  }

  /** Direct child modules. */
  *children(): Iterable<Module> {
    for (const [, child] of this.namedChildren()) yield child
  }

  /**
   * This module and every module below it with dotted paths (`''` for this one), each module
   * once, as `named_modules()` in PyTorch.
   *
   * @example
   * ```ts
   * [...pipeline.namedModules()].map(([path]) => path) // ['', 'extractor', 'comparer']
   * ```
   */
  *namedModules(prefix = ''): Iterable<[string, Module]> {
    const seen = new Set<Module>()
    const visit = function* (module: Module, path: string): Iterable<[string, Module]> {
      if (seen.has(module)) return
      seen.add(module)
      yield [path, module]
      for (const [name, child] of module.namedChildren()) yield* visit(child, path === '' ? name : `${path}.${name}`)
    }
    yield* visit(this, prefix)
  }

  /** This module and every module below it. */
  *modules(): Iterable<Module> {
    for (const [, module] of this.namedModules()) yield module
  }

  /**
   * Every parameter below this module with its dotted path; a parameter shared by two modules
   * is listed once, under the first path.
   *
   * @example
   * ```ts
   * [...module.namedParameters()].map(([path]) => path) // ['style']
   * ```
   */
  *namedParameters(): Iterable<[string, Parameter]> {
    const seen = new Set<Parameter>()
    for (const [path, module] of this.namedModules()) {
      for (const [name, entry] of module[ownEntries]()) {
        if (!(entry instanceof Parameter) || seen.has(entry)) continue
        seen.add(entry)
        yield [path === '' ? name : `${path}.${name}`, entry]
      }
    }
  }

  /** Every parameter below this module, each once. */
  *parameters(): Iterable<Parameter> {
    for (const [, parameter] of this.namedParameters()) yield parameter
  }

  /** Whether the module is in training mode (runs keep records for backward passes). Default `false`. */
  get training(): boolean {
    return (this as unknown as { [state]: { training: boolean } })[state].training
  }

  /**
   * Sets training mode on this module and every module below it.
   *
   * @example
   * ```ts
   * model.train()   // records runs for backward passes
   * model.eval()    // back to plain inference
   * ```
   */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`Expected \`mode\` to be a boolean, got ${describe(mode)}.`)
    for (const module of this.modules()) (module as unknown as { [state]: { training: boolean } })[state].training = mode
    return this
  }

  /** Same as `train(false)`. */
  eval(): this {
    return this.train(false)
  }

  /**
   * The values of every parameter, keyed by dotted path: plain JSON.
   *
   * @example
   * ```ts
   * await writeFile('params.json', JSON.stringify(model.stateDict()))
   * ```
   */
  stateDict(): Record<string, string> {
    const dict: Record<string, string> = {}
    for (const [path, parameter] of this.namedParameters()) dict[path] = parameter.value
    return dict
  }

  /**
   * Loads parameter values saved by `stateDict()`. An unknown key or a non-string value is an
   * error and nothing is changed; a parameter missing from `state` keeps its value.
   *
   * @example
   * ```ts
   * model.loadStateDict(JSON.parse(await readFile('params.json', 'utf8')))
   * ```
   */
  loadStateDict(state: Readonly<Record<string, string>>): this {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError(`Expected \`state\` to be an object of parameter values, got ${describe(state)}.`)
    }
    const parameters = new Map(this.namedParameters())
    const unknown = Object.keys(state).filter((key) => !parameters.has(key))
    if (unknown.length > 0) {
      throw new PlaitError(
        `Expected every key of \`state\` to name a parameter of ${this.constructor.name}; unknown: ${unknown.map((key) => `\`${key}\``).join(', ')}. Known: ${[...parameters.keys()].join(', ') || 'none'}.`,
      )
    }
    const wrong = Object.entries(state).filter(([, value]) => typeof value !== 'string')
    if (wrong.length > 0) throw new TypeError(`Expected \`state.${wrong[0]![0]}\` to be a string, got ${describe(wrong[0]![1])}.`)
    for (const [key, value] of Object.entries(state)) parameters.get(key)!.value = value
    return this
  }

  /**
   * Binds endpoints by alias and returns a typed callable pipeline.
   *
   * @example
   * ```ts
   * const pipeline = new ExtractAndCompare().bind({ endpoints: { fast: simulated(), smart: simulated() } })
   * const result: string = await pipeline(doc1, doc2)
   * ```
   */
  bind(options: BindOptions): Pipeline<In, Out> {
    return bindModule(this, options)
  }

  /**
   * The graph of `forward()`, traced with symbolic inputs standing for `exampleInputs` (arrays
   * and plain objects keep their shape, so loops over them unroll). No endpoint is called.
   *
   * @example
   * ```ts
   * import { toMermaid } from 'plait'
   * console.log(toMermaid(new ExtractAndCompare().graph('doc one', 'doc two')))
   * ```
   */
  graph(...exampleInputs: In): Graph {
    return traceGraph(this, exampleInputs)
  }

  /**
   * The graph of an async `forward()`; each user `await` shows as an `await` node (a graph
   * break). Works for sync ones too.
   *
   * @example
   * ```ts
   * const graph = await new Researcher().graphAsync('question')
   * ```
   */
  graphAsync(...exampleInputs: In): Promise<Graph> {
    return traceGraphAsync(this, exampleInputs)
  }

  /**
   * Runs the module's call inside `run`. A composite module runs `forward()` with its module
   * path; leaf modules (LLMInference) override this to add a node instead. `site` is where the
   * user called a module that says `[recordsCallSite]` (captured when it was called as a function).
   */
  [invoke](run: Run<PipelineServices>, args: unknown[], call?: StaticCall, site?: CallSite): unknown {
    warnIfTraced(this)
    const path = modulePath(run, this)
    const result = inRun(run, this.forward, () => run.inModule(path, () => this.forward(...(args as In))))
    if (!(result instanceof Promise)) return result
    // An async forward(): its result joins the graph as one node.
    if (run.mode === 'trace') result.catch(() => {})
    const node = run.addNode({ kind: 'derive', base: call?.id ?? (path || 'forward'), label: 'async forward()', module: path, inputs: [], site: call?.site, execute: () => result })
    return futureFor(node)
  }
}

setModuleClass(Module)

const isModuleOrParameter = (value: unknown): value is Module | Parameter => value instanceof Module || value instanceof Parameter

/** The dotted path of `module` in the run's module tree, or `<ClassName>` when it is not in the tree. */
export function modulePath(run: Run<PipelineServices>, module: Module): string {
  return run.services.tree.pathOf(module) ?? `<${module.constructor.name}>`
}

function callModule(module: Module, args: unknown[], site: CallSite | undefined): unknown {
  const run = currentRun() as Run<PipelineServices> | undefined
  if (!run) throw outsideRunError(module)
  return module[invoke](run, args, undefined, site)
}

/** The error for a module called with no run around it. */
export function outsideRunError(module: Module): PlaitError {
  return runOutsideError(module.constructor.name)
}

const parameterList = /^[^(]*\(([^)]*)\)/

/** Names of `forward`'s parameters, for input node ids; `input0`, `input1`... where unknown. */
function inputNames(module: Module, count: number): string[] {
  const match = parameterList.exec(Function.prototype.toString.call(module.forward))
  const declared = (match?.[1] ?? '').split(',').map((part) => part.trim().replace(/[=:].*$/s, '').trim())
  return Array.from({ length: count }, (_, index) => {
    const name = declared[index]
    return name && /^[A-Za-z_$][\w$]*$/.test(name) ? name : `input${index}`
  })
}

/** A traced run of `module` on symbolic inputs standing for `exampleInputs`, and how to finish it. */
function startTrace<In extends unknown[], Out>(module: Module<In, Out>, exampleInputs: In) {
  const run = new Run<PipelineServices>({ mode: 'trace', services: { tree: new ModuleTree(module), backend: undefined } })
  const names = inputNames(module, exampleInputs.length)
  const inputNodes: RunNode[] = []
  const symbolic = exampleInputs.map((example, index) => {
    const node = run.addNode({ kind: 'input', base: names[index]!, label: names[index]!, module: '', inputs: [], execute: () => example })
    inputNodes.push(node)
    const future = futureFor(node) as Record<string | number, unknown>
    if (Array.isArray(example)) return example.map((_, item) => future[item])
    if (example !== null && typeof example === 'object' && Object.getPrototypeOf(example) === Object.prototype) {
      return Object.fromEntries(Object.keys(example).map((key) => [key, future[key]]))
    }
    return future
  })
  // The root's forward() runs in module '', where a run starts (as in runModule).
  const output = inRun(run, module.forward, () => module.forward(...(symbolic as In)))
  const finish = (value: unknown): Graph => withCompilation(module, run.toGraph({
      name: module.constructor.name,
      inputs: inputNodes,
      output: run.capture(value),
      modules: [...module.namedModules()].map(([path, child]) => {
        const alias = (child as { alias?: unknown }).alias
        return typeof alias === 'string' ? { path, type: child.constructor.name, alias } : { path, type: child.constructor.name }
      }),
      parameters: [...module.namedParameters()].map(([path, parameter]) => ({ path, description: parameter.description, requiresGrad: parameter.requiresGrad })),
    }))
  return { output, finish }
}

/** A graph built by compiled code says so, with the class's source file. */
function withCompilation(module: Module, graph: Graph): Graph {
  const how = compilationOf(module)
  if (!how.compiled) return graph
  graph.source = 'compiler'
  if (how.file !== undefined) graph.file = how.file
  return graph
}

function traceGraph<In extends unknown[], Out>(module: Module<In, Out>, exampleInputs: In): Graph {
  const { output, finish } = startTrace(module, exampleInputs)
  if (output instanceof Promise) {
    output.catch(() => {})
    throw new PlaitError(`${module.constructor.name}.forward() is async; trace it with \`await module.graphAsync(...inputs)\`.`)
  }
  return finish(output)
}

async function traceGraphAsync<In extends unknown[], Out>(module: Module<In, Out>, exampleInputs: In): Promise<Graph> {
  const { output, finish } = startTrace(module, exampleInputs)
  return finish(unwrapAwait(await output))
}
