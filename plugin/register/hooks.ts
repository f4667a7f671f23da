/**
 * The hooks module of `plait/register` on Node 20 (and any Node without `module.registerHooks`):
 * `module.register()` runs it on Node's hooks thread, where `resolve` and `load` are async and
 * chain with the hooks registered before them (tsx's, for example).
 */
import { moduleCompiler, type LoadContext, type LoadResult, type ModuleCompiler, type ResolveContext } from './module-compiler.js'
import { registerOptions, type RegisterOptions } from './options.js'
import { isNotFound, isUnloadableTypeScript, typeScriptAlternative } from './typescript-resolve.js'

/** What `plait/register` passes to `module.register()` as `data`. */
export interface HooksData {
  /** The hook's options, read from the environment of the main thread. */
  options: RegisterOptions
}

type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string }>
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>

let compiler: ModuleCompiler | undefined

/**
 * Called by Node once, with the `data` given to `module.register()`.
 *
 * @example
 * ```ts
 * register(new URL('./register-hooks.js', import.meta.url), { data: { options: registerOptions() } })
 * ```
 */
export function initialize(data: HooksData | undefined): void {
  compiler = moduleCompiler(data?.options ?? registerOptions(), (text) => process.stderr.write(text))
}

/**
 * Resolves as the loaders before it do; a relative `./x.js` from a TypeScript file that none of
 * them finds resolves to `./x.ts` (for plain Node, which does not know TypeScript's convention).
 *
 * @example
 * ```ts
 * await resolve('./util.js', { parentURL: 'file:///repo/app.ts' }, nextResolve) // { url: 'file:///repo/util.ts' }
 * ```
 */
export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<{ url: string }> {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    const alternative = isNotFound(error) ? typeScriptAlternative(specifier, context.parentURL) : undefined
    if (alternative === undefined) throw error
    return nextResolve(alternative, context)
  }
}

/**
 * Loads through the loaders before it, then compiles the module when it holds plait modules. A
 * TypeScript file that no loader can load has its types stripped here first.
 *
 * @example
 * ```ts
 * const { source } = await load('file:///repo/app.ts', { format: 'module' }, nextLoad)
 * ```
 */
export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  compiler ??= moduleCompiler(registerOptions(), (text) => process.stderr.write(text))
  let loaded: LoadResult
  try {
    loaded = await nextLoad(url, context)
  } catch (error) {
    if (isUnloadableTypeScript(error, url)) return compiler.loadTypeScript(url)
    throw error
  }
  return compiler.compileLoaded(url, loaded)
}
