/**
 * What `plait run` takes from a file's exports: the module to run, its inputs and its endpoints.
 * Documented in docs/cli.md ("plait run: what the file exports").
 */
/**
 * An endpoint object from `plait/endpoints` (`simulated()`, `openai()`, `defineEndpoint()`), as
 * `plait run` passes it along. Typed by shape: the build-time layer does not import the runtime.
 */
export type Endpoint = { readonly isPlaitEndpoint: true }

/** The exports of the file `plait run` loads. */
export type FileExports = Record<string, unknown>

/** A module instance, as far as `plait run` needs one (found by shape, not `instanceof`, so two copies of plait still work). */
export interface RunnableModule {
  namedModules(): Iterable<[string, unknown]>
  bind(options: { endpoints: Record<string, Endpoint> }): RunnablePipeline
  constructor: { name: string }
}

/** A bound pipeline (`module.bind(...)`). */
export interface RunnablePipeline {
  run(args: unknown[]): Promise<unknown>
  module: RunnableModule
}

/** What the file gives to run: a module, or a pipeline bound already. */
export type Runnable = { module: RunnableModule; pipeline?: RunnablePipeline }

/**
 * Whether `value` is a plait module instance.
 *
 * @example
 * ```ts
 * isModule(new Summarize()) // true
 * ```
 */
export function isModule(value: unknown): value is RunnableModule {
  return typeof value === 'object' && value !== null && typeof (value as RunnableModule).namedModules === 'function' && typeof (value as RunnableModule).bind === 'function' && typeof (value as { forward?: unknown }).forward === 'function'
}

/**
 * Whether `value` is a class whose instances are plait modules.
 *
 * @example
 * ```ts
 * isModuleClass(Summarize) // true
 * ```
 */
export function isModuleClass(value: unknown): value is new () => RunnableModule {
  const prototype = typeof value === 'function' ? (value as { prototype?: unknown }).prototype : undefined
  return typeof prototype === 'object' && prototype !== null && typeof (prototype as RunnableModule).namedModules === 'function' && typeof (prototype as { forward?: unknown }).forward === 'function'
}

function isPipeline(value: unknown): value is RunnablePipeline {
  return (typeof value === 'function' || typeof value === 'object') && value !== null && typeof (value as RunnablePipeline).run === 'function' && isModule((value as RunnablePipeline).module)
}

/**
 * The module (or bound pipeline) to run: the export named `name` when given; else `pipeline`,
 * else `default` (a pipeline, a module instance or a module class), else the one exported module
 * class or instance. A class is instantiated with no arguments.
 *
 * @example
 * ```ts
 * const { module, pipeline } = findRunnable(await import('./app.ts'), 'app.ts')
 * ```
 */
export function findRunnable(exports: FileExports, file: string, name?: string): Runnable {
  const pick = (value: unknown, label: string): Runnable => {
    if (isPipeline(value)) return { module: value.module, pipeline: value }
    if (isModule(value)) return { module: value }
    if (isModuleClass(value)) return { module: new value() }
    throw new Error(`Expected export \`${label}\` of ${file} to be a plait module class, a module instance or a bound pipeline, got ${describe(value)}.`)
  }
  if (name !== undefined) {
    if (!(name in exports)) throw new Error(`Expected ${file} to export \`${name}\`; it exports ${Object.keys(exports).map((key) => `\`${key}\``).join(', ') || 'nothing'}.`)
    return pick(exports[name], name)
  }
  for (const key of ['pipeline', 'default']) if (exports[key] !== undefined) return pick(exports[key], key)
  const candidates = Object.entries(exports).filter(([, value]) => isPipeline(value) || isModule(value) || isModuleClass(value))
  if (candidates.length === 1) return pick(candidates[0]![1], candidates[0]![0])
  if (candidates.length === 0) throw new Error(`Expected ${file} to export a plait module (a class extending Module, an instance, or a pipeline as \`pipeline\` or \`default\`); it exports none.`)
  throw new Error(`Expected ${file} to export one plait module; it exports ${candidates.map(([key]) => `\`${key}\``).join(', ')}. Export the one to run as \`default\`, or pass \`--export <name>\`.`)
}

/**
 * The argument lists to run: `--args` (a JSON array of forward()'s arguments), else the `--input`
 * values (one text argument each), else the file's `inputs` export (a list of argument lists).
 *
 * @example
 * ```ts
 * runInputs({ input: ['a doc'] }, {}, 'app.ts') // [['a doc']]
 * ```
 */
export function runInputs(flags: { input?: string[]; args?: string }, exports: FileExports, file: string): unknown[][] {
  if (flags.args !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(flags.args)
    } catch (error) {
      throw new Error(`Expected \`--args\` to be a JSON array of forward()'s arguments, got \`${flags.args}\` (${(error as Error).message}).`)
    }
    if (!Array.isArray(parsed)) throw new Error(`Expected \`--args\` to be a JSON array of forward()'s arguments, got ${describe(parsed)}.`)
    return [parsed]
  }
  if (flags.input !== undefined) return [flags.input]
  const { inputs } = exports
  if (inputs === undefined) throw new Error(`Expected inputs: pass \`--input <text>\` (once per argument of forward()) or \`--args '<json array>'\`, or export \`inputs\` (a list of argument lists) from ${file}.`)
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every(Array.isArray)) throw new Error(`Expected export \`inputs\` of ${file} to be a non-empty list of argument lists, like \`[['first doc'], ['second doc']]\`, got ${describe(inputs)}.`)
  return inputs as unknown[][]
}

/**
 * The aliases a module's LLM calls use, sorted.
 *
 * @example
 * ```ts
 * aliasesOf(new ExtractAndCompare()) // ['fast', 'smart']
 * ```
 */
export function aliasesOf(module: RunnableModule): string[] {
  const aliases = new Set<string>()
  for (const [, child] of module.namedModules()) {
    const alias = (child as { alias?: unknown }).alias
    if (typeof alias === 'string') aliases.add(alias)
  }
  return [...aliases].sort()
}

/**
 * The file's own endpoints: the `endpoints` export, an object of endpoints by alias or a function
 * (maybe async) returning one; `undefined` when it exports none.
 *
 * @example
 * ```ts
 * await fileEndpoints({ endpoints: () => ({ fast: simulated() }) }, 'app.ts') // { fast: ... }
 * ```
 */
export async function fileEndpoints(exports: FileExports, file: string): Promise<Record<string, Endpoint> | undefined> {
  const { endpoints } = exports
  if (endpoints === undefined) return undefined
  const value: unknown = typeof endpoints === 'function' ? await (endpoints as () => unknown)() : endpoints
  if (typeof value !== 'object' || value === null) throw new Error(`Expected export \`endpoints\` of ${file} to be an object of endpoints by alias (or a function returning one), got ${describe(value)}.`)
  return value as Record<string, Endpoint>
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (typeof value === 'function') return `a function \`${value.name || 'anonymous'}\``
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'no prototype'})`
  return `${typeof value} \`${String(value)}\``
}
