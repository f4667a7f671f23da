/**
 * The one bundler plugin behind `plait/vite`, `plait/rollup`, `plait/esbuild`, `plait/webpack`
 * and `plait/rspack` (an unplugin factory). It compiles each file that mentions plait with
 * `transformFile` (TypeScript or already-stripped JavaScript), reports PL1xx errors through the
 * host's error channel and PL2xx warnings through its warning channel, watches the files a
 * module's classes extend, and serves `virtual:plait/graphs`.
 *
 * Source maps: the plugin returns the map of its own edit; every host composes it with the maps
 * of earlier transforms (Rollup and Vite do so themselves, unplugin does for esbuild, webpack and
 * Rspack), so no incoming map is passed to the compiler here.
 */
import { resolve as resolvePath } from 'node:path'
import { createUnplugin, type UnpluginInstance, type UnpluginOptions } from 'unplugin'
import { formatDiagnostic } from '../src/graph/diagnostic.js'
import { cacheFolder, CompileCache } from './compile-cache.js'
import { fileFilter, mentionsPlaitPattern, PlaitBuildError, transformFile } from './transform.js'
import type { PlaitOptions } from './types.js'
import { ProjectGraphCache, virtualGraphsId } from './virtual-graphs.js'

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
  const projectGraphs = new ProjectGraphCache()
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
      handler(id) {
        if (id !== resolvedVirtualGraphsId) return undefined
        const { code, files } = projectGraphs.load(root, accept, [...skipped])
        for (const file of files) this.addWatchFile(file)
        return { code, map: null }
      },
    },
    transform: {
      filter: { id: scriptId, code: mentionsPlaitPattern },
      handler(code, id) {
        if (!accept(id)) return undefined
        let output
        try {
          output = transformFile({ code, id }, { ...options, root, sourceMap }, cacheOfBuild())
        } catch (error) {
          if (!(error instanceof PlaitBuildError)) throw error
          this.error({ message: error.message, id, code: error.diagnostics[0]?.code })
          return undefined
        }
        for (const diagnostic of output.diagnostics) this.warn({ message: formatDiagnostic(diagnostic), id, code: diagnostic.code })
        const file = id.replace(/\?.*$/, '')
        for (const dependency of output.dependencies) {
          this.addWatchFile(dependency)
          const set = dependents.get(dependency) ?? new Set<string>()
          set.add(file)
          dependents.set(dependency, set)
        }
        return output.code === undefined ? undefined : { code: output.code, map: output.map ?? null }
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
