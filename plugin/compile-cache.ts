/**
 * The opt-in compile cache (`cache: true`): what a file compiled to, kept on disk so that a later
 * build (another process) compiles only the files that changed. An entry is found by a hash of the
 * file's text, its root-relative path, the options that change the output and the compiler's
 * version, and is used only while every file its classes extend still has the text it was
 * compiled against.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve as resolvePath } from 'node:path'
import type { Diagnostic, Graph } from '../src/graph/types.js'
import type { SourceMap } from './compiler/index.js'

/** One cached compile. */
export interface CachedCompile {
  code?: string
  map?: SourceMap | null
  graphs: Graph[]
  diagnostics: Diagnostic[]
  /** The files the classes extend, with the hash of the text they had. */
  dependencies: Array<{ file: string; hash: string }>
  /** `graphFilesStamp()` of the graph files after the last build wrote or checked them. */
  graphFiles?: string
}

/**
 * The cache folder for the `cache` option: `<root>/node_modules/.cache/plait` for `true`, the
 * folder given (relative to the root) for a string, none for `false` or `undefined`.
 *
 * @example
 * ```ts
 * cacheFolder(true, '/repo') // '/repo/node_modules/.cache/plait'
 * ```
 */
export function cacheFolder(option: boolean | string | undefined, root: string): string | undefined {
  if (option === undefined || option === false) return undefined
  return option === true ? join(root, 'node_modules', '.cache', 'plait') : resolvePath(root, option)
}

/**
 * The hash of a text (SHA-256, hex).
 *
 * @example
 * ```ts
 * textHash('a') // 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'
 * ```
 */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * The key of one compile: everything besides the files it extends that decides its output.
 *
 * @example
 * ```ts
 * const key = cacheKey(code, { file: 'src/app.ts', root: '/repo', strict: false, compilerVersion: '0.1.0' })
 * ```
 */
export function cacheKey(code: string, parts: { file: string; root: string; strict: boolean; compilerVersion: string; inputMap?: unknown }): string {
  return textHash(`${JSON.stringify([parts.compilerVersion, parts.root, parts.file, parts.strict, parts.inputMap ?? null])}\0${code}`)
}

/**
 * The cached compile under `key`, or `undefined` when there is none or a file it extends changed.
 *
 * @example
 * ```ts
 * const hit = readCached(folder, key) ?? compileAndStore()
 * ```
 */
export function readCached(folder: string, key: string): CachedCompile | undefined {
  let entry: CachedCompile
  try {
    entry = JSON.parse(readFileSync(join(folder, `${key}.json`), 'utf8')) as CachedCompile
  } catch {
    return undefined
  }
  return dependenciesUnchanged(entry.dependencies) ? entry : undefined
}

/**
 * Whether every file a compile read (the files its classes extend) still has the text it had.
 *
 * @example
 * ```ts
 * if (dependenciesUnchanged(entry.dependencies)) return entry.graphs
 * ```
 */
export function dependenciesUnchanged(dependencies: CachedCompile['dependencies']): boolean {
  return dependencies.every((dependency) => {
    try {
      return textHash(readFileSync(dependency.file, 'utf8')) === dependency.hash
    } catch {
      return false
    }
  })
}

/**
 * Stores a compile under `key` (written to a temporary file, then renamed, so that a parallel
 * build never reads half an entry).
 *
 * @example
 * ```ts
 * writeCached(folder, key, { code, map, graphs, diagnostics, dependencies: [{ file, hash: textHash(text) }] })
 * ```
 */
export function writeCached(folder: string, key: string, entry: CachedCompile): void {
  mkdirSync(folder, { recursive: true })
  const target = join(folder, `${key}.json`)
  const temporary = `${target}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(entry))
  renameSync(temporary, target)
}

/**
 * A cheap fingerprint of the graph files of one source file (names, sizes and modification
 * times in its `.plait/` folder): when it matches the one stored with a cache entry, the files are
 * as the last build left them and need not be rendered and compared again.
 *
 * @example
 * ```ts
 * if (graphFilesStamp(join(root, '.plait/src/app.ts')) === hit.graphFiles) return // up to date
 * ```
 */
export function graphFilesStamp(folder: string): string {
  let names: string[]
  try {
    names = readdirSync(folder).sort()
  } catch {
    return 'none'
  }
  return names
    .map((name) => {
      const stats = statSync(join(folder, name))
      return `${name}:${stats.size}:${stats.mtimeMs}`
    })
    .join('|')
}
