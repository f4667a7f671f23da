/**
 * The one bundler plugin behind `plait/vite`, `plait/rollup`, `plait/esbuild`, `plait/webpack`
 * and `plait/rspack` (an unplugin factory). It compiles each file that mentions plait with
 * `transformFile` (TypeScript or already-stripped JavaScript), reports PL1xx errors through the
 * host's error channel and PL2xx warnings through its warning channel, watches the files a
 * module's classes extend, and serves `virtual:plait/graphs`. The compiler (and TypeScript) is
 * loaded on the first file the compile cache cannot answer, so a warm build never loads it.
 *
 * Source maps: the plugin returns the map of its own edit; every host composes it with the maps
 * of earlier transforms (Rollup and Vite do so themselves, unplugin does for esbuild, webpack and
 * Rspack), so no incoming map is passed to the compiler here.
 */
import { resolve as resolvePath } from 'node:path'
import { createUnplugin, type UnpluginBuildContext, type UnpluginContext, type UnpluginInstance, type UnpluginOptions } from 'unplugin'
import { formatDiagnostic } from '../src/graph/diagnostic.js'
import { PlaitBuildError } from './build-error.js'
import { cacheFolder, CompileCache, type CachedCompile } from './compile-cache.js'
import { fileFilter, mentionsPlait, mentionsPlaitPattern } from './file-filter.js'
import { finish, lookUp, type TransformFileInput } from './transform-steps.js'
import type { PlaitOptions, TransformOutput } from './types.js'
import type { ProjectGraphCache } from './virtual-graphs.js'

/**
 * The id a program imports.
 *
 * @example
 * ```ts
 * import graphs from 'virtual:plait/graphs' // resolved by the plugin to `\0${virtualGraphsId}`
 * ```
 */
export const virtualGraphsId = 'virtual:plait/graphs'

/** The id the virtual module resolves to (the `\0` keeps other plugins away from it). */
const resolvedVirtualGraphsId = `\0${virtualGraphsId}`
/** webpack reads `virtual:` as a URL scheme before any resolver runs: requests are renamed to this first. */
const webpackRequest = 'plait-virtual-graphs'
const virtualIdFilter = /^(?:virtual:plait\/graphs|plait-virtual-graphs)$/
const resolvedIdFilter = /^\0virtual:plait\/graphs$/
/** Script files (a query string may follow). */
const scriptId = /\.[cm]?[jt]sx?(?:$|\?)/

/**
 * The plugin's hooks for one host instance.
 *
 * @example
 * ```ts
 * import { createUnplugin } from 'unplugin'
 * const plugin = createUnplugin(plaitPluginOptions)
 * const forRollup = plugin.rollup({ strict: true })
 * ```
 */
export function plaitPluginOptions(options: PlaitOptions = {}): UnpluginOptions {
  let root = resolvePath(options.root ?? process.cwd())
  let accept = fileFilter(options, root)
  /** Folders the virtual module does not search (the host's output folder when known). */
  const skipped = new Set<string>()
  /** For each file a compiled class extends, the ids of the files that extend it. */
  const dependents = new Map<string, Set<string>>()
  /** Created on the first load of the virtual module (it compiles, so it loads the compiler). */
  let projectGraphs: ProjectGraphCache | undefined
  /** Whether the host's build reads source maps (`options.sourceMap` when given; else what the host's config says, when it says). */
  let sourceMap = options.sourceMap
  const setSourceMap = (wanted: boolean) => {
    if (options.sourceMap === undefined) sourceMap = wanted
  }
  /** The compile cache of this plugin instance (created on first use, once the root is known; `null` when off). */
  let compileCache: CompileCache | null | undefined

  const cacheOfBuild = (): CompileCache | undefined => {
    if (compileCache === undefined) {
      const folder = cacheFolder(options.cache, root)
      compileCache = folder === undefined ? null : new CompileCache(folder)
    }
    return compileCache ?? undefined
  }

  const setRoot = (next: string) => {
    compileCache?.save()
    compileCache = undefined
    root = resolvePath(next)
    accept = fileFilter(options, root)
  }
  const dependentsOf = (file: string): string[] => [...(dependents.get(file) ?? [])]

  /** Hands a compile to the host: warnings, the files to watch, the code. */
  const report = (context: HookContext, id: string, output: TransformOutput) => {
    for (const diagnostic of output.diagnostics) context.warn({ message: formatDiagnostic(diagnostic), id, code: diagnostic.code })
    const file = id.replace(/\?.*$/, '')
    for (const dependency of output.dependencies) {
      context.addWatchFile(dependency)
      const set = dependents.get(dependency) ?? new Set<string>()
      set.add(file)
      dependents.set(dependency, set)
    }
    return output.code === undefined ? undefined : { code: output.code, map: output.map ?? null }
  }

  return {
    name: 'plait',
    enforce: 'pre',
    resolveId: {
      filter: { id: virtualIdFilter },
      handler(id) {
        return id === virtualGraphsId || id === webpackRequest ? resolvedVirtualGraphsId : undefined
      },
    },
    load: {
      filter: { id: resolvedIdFilter },
      async handler(id) {
        if (id !== resolvedVirtualGraphsId) return undefined
        projectGraphs ??= new (await import('./virtual-graphs.js')).ProjectGraphCache()
        const { code, files } = projectGraphs.load(root, accept, [...skipped])
        for (const file of files) this.addWatchFile(file)
        return { code, map: null }
      },
    },
    transform: {
      filter: { id: scriptId, code: mentionsPlaitPattern },
      handler(code, id) {
        if (!accept(id) || !mentionsPlait(code)) return undefined
        const input: TransformFileInput = { code, id }
        const hostOptions: PlaitOptions = { ...options, root, sourceMap }
        const lookup = lookUp(input, hostOptions, cacheOfBuild())
        const finished = (compiled: CachedCompile) => {
          try {
            return report(this, id, finish(compiled, lookup, hostOptions))
          } catch (error) {
            return fail(this, error, id)
          }
        }
        // A file the cache answers is served without loading the compiler (and TypeScript).
        if (lookup.cached !== undefined) return finished(lookup.cached)
        return import('./transform.js').then(({ compileFile }) => finished(compileFile(input, lookup.root, lookup.strict, lookup.sourceMap)))
      },
    },
    buildEnd() {
      compileCache?.save()
    },
    esbuild: {
      setup(build) {
        setSourceMap(Boolean(build.initialOptions.sourcemap))
      },
    },
    rspack(compiler) {
      setSourceMap(compiler.options.devtool !== false)
    },
    webpack(compiler) {
      setSourceMap(compiler.options.devtool !== false)
      compiler.hooks.normalModuleFactory.tap('plait', (factory) => {
        factory.hooks.beforeResolve.tap('plait', (data) => {
          if (data.request === virtualGraphsId) data.request = webpackRequest
        })
      })
    },
    vite: {
      configResolved(config) {
        if (options.root === undefined) setRoot(config.root)
        // A build without `build.sourcemap` reads no map; a dev server always does.
        setSourceMap(config.command === 'serve' || Boolean(config.build.sourcemap))
        skipped.add(resolvePath(root, config.build.outDir))
      },
      hotUpdate({ file, modules }) {
        const graph = this.environment.moduleGraph
        const extra = dependentsOf(file).flatMap((dependent) => [...(graph.getModulesByFile(dependent) ?? [])])
        const virtual = graph.getModuleById(resolvedVirtualGraphsId)
        if (virtual && (accept(file) || extra.length > 0)) extra.push(virtual)
        if (extra.length === 0) return undefined
        for (const module of extra) graph.invalidateModule(module)
        return [...new Set([...modules, ...extra])]
      },
    },
  }
}

/** What the plugin uses of a transform hook's context. */
type HookContext = Pick<UnpluginBuildContext & UnpluginContext, 'warn' | 'error' | 'addWatchFile'>

/** A `PlaitBuildError` becomes the host's build error (with the first diagnostic's code; some hosts collect errors instead of throwing); anything else is rethrown. */
function fail(context: HookContext, error: unknown, id: string): undefined {
  if (!(error instanceof PlaitBuildError)) throw error
  context.error({ message: error.message, id, code: error.diagnostics[0]?.code })
  return undefined
}

/**
 * The plait plugin for every bundler unplugin serves; each host entry (`plait/vite`, …) exports
 * one of its members.
 *
 * @example
 * ```ts
 * import { plaitUnplugin } from './unplugin.js'
 * export default { plugins: [plaitUnplugin.vite({ strict: true })] }
 * ```
 */
export const plaitUnplugin: UnpluginInstance<PlaitOptions | undefined, false> = createUnplugin<PlaitOptions | undefined, false>((options) => plaitPluginOptions(options))
