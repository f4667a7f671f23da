/**
 * The hooks of `plait/register` on Node with `module.registerHooks` (22.15+, 23.5+): the same
 * work as `hooks.ts`, synchronous and on the main thread, for `import` and `require` alike.
 */
import { moduleCompiler, type LoadContext, type LoadResult, type ResolveContext } from './module-compiler.js'
import type { RegisterOptions } from './options.js'
import { isNotFound, isUnloadableTypeScript, typeScriptAlternative } from './typescript-resolve.js'


/** The hooks `module.registerHooks()` takes. */
export interface SyncHooks {
  resolve(specifier: string, context: ResolveContext, nextResolve: (specifier: string, context?: ResolveContext) => { url: string }): { url: string }
  load(url: string, context: LoadContext, nextLoad: (url: string, context?: LoadContext) => LoadResult): LoadResult
}

/**
 * The synchronous hooks for `module.registerHooks()`.
 *
 * @example
 * ```ts
 * import { registerHooks } from 'node:module'
 * registerHooks(syncHooks(registerOptions(), (text) => process.stderr.write(text)))
 * ```
 */
export function syncHooks(options: RegisterOptions, warn: (text: string) => void): SyncHooks {
  const compiler = moduleCompiler(options, warn)
  return {
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (error) {
        const alternative = isNotFound(error) ? typeScriptAlternative(specifier, context.parentURL) : undefined
        if (alternative === undefined) throw error
        return nextResolve(alternative, context)
      }
    },
    load(url, context, nextLoad) {
      let loaded: LoadResult
      try {
        loaded = nextLoad(url, context)
      } catch (error) {
        if (isUnloadableTypeScript(error, url)) return compiler.loadTypeScript(url)
        throw error
      }
      return compiler.compileLoaded(url, loaded)
    },
  }
}
