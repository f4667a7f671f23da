/**
 * The steps of a host's transform that need no compiler: looking a file up in the compile cache,
 * and finishing with a compile (cached or fresh): failing the build on errors, writing graph
 * files, storing the entry. A warm build runs only these, so a bundler host does not load
 * TypeScript until some file must really be compiled (plugin/unplugin.ts).
 */
import { join } from 'node:path'
import type { SourceMapInput } from './compiler/parse.js'
import { relativeFile } from './compiler/relative-file.js'
import { PlaitBuildError } from './build-error.js'
import { cacheFolder, cacheKey, graphFolderStamp, sharedCompileCache, type CachedCompile, type CompileCache } from './compile-cache.js'
import { graphFolderOf, writeGraphFiles } from './graph-files.js'
import type { PlaitOptions, TransformOutput } from './types.js'

/** How a host hands one file over. */
export interface TransformFileInput {
  /** The file's text as the host has it (TypeScript or already-stripped JavaScript). */
  code: string
  /** Absolute file id (a query string is ignored). */
  id: string
  /** A map from an earlier transform, composed into the output. */
  inputMap?: SourceMapInput
}

/** One file's place in the cache, and what the cache holds for it. */
export interface Lookup {
  root: string
  /** Root-relative path. */
  file: string
  strict: boolean
  sourceMap: boolean
  cache?: CompileCache
  key: string
  cached?: CachedCompile
}

/**
 * Finds a file's compile in the cache (`cache`, or the process's shared cache for the `cache`
 * option; none when it is off).
 *
 * @example
 * ```ts
 * const lookup = lookUp({ code, id }, { root: '/repo' })
 * const compiled = lookup.cached ?? compileFile({ code, id }, lookup.root, lookup.strict, lookup.sourceMap)
 * ```
 */
export function lookUp(input: TransformFileInput, options: PlaitOptions, cache?: CompileCache): Lookup {
  const root = options.root ?? process.cwd()
  if (cache === undefined) {
    const folder = cacheFolder(options.cache, root)
    if (folder !== undefined) cache = sharedCompileCache(folder)
  }
  const strict = options.strict === true
  const sourceMap = options.sourceMap !== false
  const key = cache === undefined ? '' : cacheKey(input.code, { strict, sourceMap, inputMap: input.inputMap })
  const file = relativeFile(input.id, root)
  return { root, file, strict, sourceMap, cache, key, cached: cache?.get(root, file, key) }
}

/**
 * What a host gets for a compile: throws `PlaitBuildError` on errors; writes the graph files
 * unless they are as the build of a cache hit left them; stores what is new in the cache.
 *
 * @example
 * ```ts
 * return finish(lookup.cached ?? compileFile(input, lookup.root, lookup.strict), lookup, options)
 * ```
 */
export function finish(compiled: CachedCompile, lookup: Lookup, options: PlaitOptions): TransformOutput {
  const { root, file, cache, key, cached } = lookup
  const errors = compiled.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')
  if (errors.length > 0) throw new PlaitBuildError(errors)
  let written: string[] = []
  let store = cached === undefined
  if (options.graphs !== false) {
    const graphFolder = join(root, graphFolderOf(file))
    if (cached?.graphFiles === undefined || cached.graphFiles !== graphFolderStamp(graphFolder)) {
      written = writeGraphFiles(root, file, compiled.graphs)
      if (cache !== undefined) {
        compiled.graphFiles = graphFolderStamp(graphFolder)
        store = true
      }
    }
  }
  if (store) cache?.set(root, file, key, compiled)
  return {
    code: compiled.code,
    map: compiled.map,
    graphs: compiled.graphs,
    diagnostics: compiled.diagnostics,
    dependencies: compiled.dependencies.map((dependency) => dependency.file),
    written,
  }
}
