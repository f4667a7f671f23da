/**
 * What every host does with one file: decide whether to compile it, compile it with the light
 * resolver (so `extends` is followed across local files), write its graph files, and turn errors
 * into one build error with every diagnostic formatted. Hosts differ only in how they hand the
 * file over and report warnings.
 */
import { isAbsolute, join, resolve as resolvePath } from 'node:path'
import picomatch from 'picomatch'
import { formatDiagnostic } from '../src/graph/diagnostic.js'
import type { Diagnostic } from '../src/graph/types.js'
import { compile, type SourceMapInput } from './compiler/index.js'
import { cacheFolder, cacheKey, graphFolderStamp, sharedCompileCache, textHash, type CachedCompile, type CompileCache } from './compile-cache.js'
import { nodeResolver } from './compiler/resolve.js'
import { relativeFile } from './compiler/parse.js'
import { graphFolderOf, writeGraphFiles } from './graph-files.js'
import type { FilterPattern, PlaitOptions, TransformOutput } from './types.js'

/** A build failed because a `forward()` cannot be compiled (PL1xx, or PL2xx with `strict`). */
export class PlaitBuildError extends Error {
  override name = 'PlaitBuildError'
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`plait could not compile ${diagnostics.length === 1 ? 'a forward()' : `${diagnostics.length} forward() methods`}:\n\n${diagnostics.map(formatDiagnostic).join('\n\n')}`)
  }
}

const scriptFile = /\.[cm]?[jt]sx?$/
const defaultExclude = [/[\\/]node_modules[\\/]/, /[\\/]\.plait[\\/]/]

/**
 * Whether `id` is a file the host should hand to `transformFile` (`include`/`exclude` from the
 * options; query strings ignored). Globs are matched with picomatch, relative to the root.
 *
 * @example
 * ```ts
 * const wanted = fileFilter({ include: ['src/**\/*.ts'] }, '/repo')
 * wanted('/repo/src/app.ts') // true
 * ```
 */
export function fileFilter(options: PlaitOptions, root: string): (id: string) => boolean {
  const include = options.include === undefined ? undefined : matcher(options.include, root)
  const exclude = options.exclude === undefined ? undefined : matcher(options.exclude, root)
  return (id) => {
    const file = id.replace(/\?.*$/, '')
    if (!scriptFile.test(file) || file.startsWith('\0')) return false
    if (exclude ? exclude(file) : defaultExclude.some((pattern) => pattern.test(file))) return false
    return include ? include(file) : true
  }
}

function matcher(pattern: FilterPattern, root: string): (file: string) => boolean {
  const patterns = (typeof pattern === 'string' || pattern instanceof RegExp ? [pattern] : pattern).map((entry) => {
    if (entry instanceof RegExp) return (file: string) => entry.test(file)
    const glob = isAbsolute(entry) ? entry : resolvePath(root, entry)
    return (file: string) => globMatch(glob.replaceAll('\\', '/'), file.replaceAll('\\', '/'))
  })
  return (file) => patterns.some((test) => test(file))
}

const compiledGlobs = new Map<string, (file: string) => boolean>()
function globMatch(glob: string, file: string): boolean {
  let test = compiledGlobs.get(glob)
  if (!test) {
    test = picomatch(glob, { dot: true })
    compiledGlobs.set(glob, test)
  }
  return test(file)
}

/** How a host hands one file over. */
export interface TransformFileInput {
  /** The file's text as the host has it (TypeScript or already-stripped JavaScript). */
  code: string
  /** Absolute file id (a query string is ignored). */
  id: string
  /** A map from an earlier transform, composed into the output. */
  inputMap?: SourceMapInput
}

/**
 * Compiles one file for a host. A file that never mentions plait (no `'plait'` import, no
 * `'use plait'` directive) is not parsed at all. Throws `PlaitBuildError` when a forward() has an
 * error (PL1xx, or PL2xx in strict mode); warnings are returned in `diagnostics`.
 *
 * With the compile cache on (the default where the root has `node_modules`), a file whose text
 * and bases did not change since the last build is not compiled again, and its graph files are
 * left alone while they are as that build left them. `cache` is the host's own cache (saved when
 * its build ends); without it the process's shared one is used (saved when the process exits).
 *
 * @example
 * ```ts
 * const output = transformFile({ code, id: '/repo/src/app.ts' }, { root: '/repo' })
 * for (const warning of output.diagnostics) console.warn(formatDiagnostic(warning))
 * ```
 */
export function transformFile(input: TransformFileInput, options: PlaitOptions = {}, cache?: CompileCache): TransformOutput {
  const root = options.root ?? process.cwd()
  const empty: TransformOutput = { graphs: [], diagnostics: [], dependencies: [], written: [] }
  if (!mentionsPlait(input.code)) return empty
  const file = relativeFile(input.id, root)
  const strict = options.strict === true
  if (cache === undefined) {
    const folder = cacheFolder(options.cache, root)
    if (folder !== undefined) cache = sharedCompileCache(folder)
  }
  const sourceMap = options.sourceMap !== false
  const key = cache === undefined ? '' : cacheKey(input.code, { strict, sourceMap, inputMap: input.inputMap })
  const cached = cache?.get(root, file, key)
  const compiled = cached ?? compileFile(input, root, strict, sourceMap)
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

/**
 * Compiles one file, following `extends` (and composite children) across local files on disk and
 * noting each file read with a hash of its text.
 *
 * @example
 * ```ts
 * const { graphs, dependencies } = compileFile({ code, id: '/repo/src/app.ts' }, '/repo', false)
 * ```
 */
export function compileFile(input: TransformFileInput, root: string, strict: boolean, sourceMap = true): CachedCompile {
  const dependencies = new Map<string, string>()
  const resolveFromDisk = nodeResolver()
  const result = compile(input.code, input.id.replace(/\?.*$/, ''), {
    root,
    strict,
    sourceMap,
    inputMap: input.inputMap,
    resolve: (specifier, importer) => {
      const found = resolveFromDisk(specifier, importer)
      if (found) dependencies.set(found.id, textHash(found.source))
      return found
    },
  })
  return {
    code: result.code === input.code ? undefined : result.code,
    map: result.map,
    graphs: result.graphs,
    diagnostics: result.diagnostics,
    dependencies: [...dependencies].map(([file, hash]) => ({ file, hash })),
  }
}

/** What `mentionsPlait` looks for; hosts with hook filters (unplugin's `transform.filter`) use it to skip other files before calling in. */
export const mentionsPlaitPattern = /['"]plait['"]|['"]use plait['"]/

/** Cheap test before parsing: the file imports plait or opts in with a directive. */
export function mentionsPlait(code: string): boolean {
  return mentionsPlaitPattern.test(code)
}
