/**
 * The compile cache (`cache` option, on by default): what each file compiled to, kept on disk so
 * that a later build (another process) compiles only the files that changed.
 *
 * The cache is one file per compiler (`compiles-<fingerprint>.json` in the cache folder), read
 * once, on the first look-up, and written back when something new was stored: when the host's
 * build ends (`save()`), or when the process exits. One read instead of one per source file is
 * what makes a warm build cheap. An entry belongs to one source file (root and path) and is used
 * only while its key matches (the file's text, `strict`, `sourceMap`, the incoming map) and every file
 * its classes extend still has the text it was compiled against.
 */
import * as crypto from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve as resolvePath } from 'node:path'
import { threadId } from 'node:worker_threads'
import type { Diagnostic, Graph } from '../src/graph/types.js'
import type { SourceMap } from './compiler/index.js'
import { compilerFingerprint } from './compiler-fingerprint.js'

/** One cached compile. */
export interface CachedCompile {
  code?: string
  map?: SourceMap | null
  graphs: Graph[]
  diagnostics: Diagnostic[]
  /** The files the classes extend, with the hash of the text they had. */
  dependencies: Array<{ file: string; hash: string }>
  /** `graphFolderStamp()` of the source file's graph folder after the last build wrote it. */
  graphFiles?: string
}

interface StoredCompile extends CachedCompile {
  key: string
}

/**
 * The cache folder for the `cache` option: `<root>/node_modules/.cache/plait` for `true`, and
 * for `undefined` (the default) when the root has a `node_modules` folder; the folder given
 * (relative to the root) for a string; none for `false`.
 *
 * @example
 * ```ts
 * cacheFolder(true, '/repo') // '/repo/node_modules/.cache/plait'
 * ```
 */
export function cacheFolder(option: boolean | string | undefined, root: string): string | undefined {
  if (option === false) return undefined
  if (typeof option === 'string') return resolvePath(root, option)
  if (option === undefined && !existsSync(join(root, 'node_modules'))) return undefined
  return join(root, 'node_modules', '.cache', 'plait')
}

/** `crypto.hash` (Node 20.12 and newer): the same digest without a Hash object per call, about 3× faster on short texts. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string) => string }).hash

/**
 * The hash of a text (SHA-256, hex).
 *
 * @example
 * ```ts
 * textHash('a') // 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'
 * ```
 */
export function textHash(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text) : crypto.createHash('sha256').update(text).digest('hex')
}

/**
 * The key of one compile: everything besides the file's path and the files it extends that
 * decides its output (the compiler itself is the cache file's name).
 *
 * @example
 * ```ts
 * const key = cacheKey(code, { strict: false, sourceMap: true })
 * ```
 */
export function cacheKey(code: string, parts: { strict: boolean; sourceMap: boolean; inputMap?: unknown }): string {
  return textHash(`${JSON.stringify([parts.strict, parts.sourceMap, parts.inputMap ?? null])}\0${code}`)
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
 * A cheap fingerprint of the graph folder of one source file (`.plait/<file>/`): its identity and
 * modification time, which change when a file in it is added or removed (or the folder is
 * deleted). When it matches the one stored with a cache entry, the graph files are as the last
 * build left them and need not be rendered and compared again. A graph file edited by hand in
 * place goes unnoticed here; `plait check` finds it.
 *
 * @example
 * ```ts
 * if (graphFolderStamp(join(root, '.plait/src/app.ts')) === hit.graphFiles) return // up to date
 * ```
 */
export function graphFolderStamp(folder: string): string {
  const stats = statSync(folder, { throwIfNoEntry: false })
  return stats === undefined ? 'none' : `${stats.ino}:${stats.mtimeMs}`
}

/**
 * The compiles of one cache folder, for the current compiler.
 *
 * @example
 * ```ts
 * const cache = new CompileCache('/repo/node_modules/.cache/plait')
 * const hit = cache.get('/repo', 'src/app.ts', key) ?? compileAndStore()
 * cache.save() // at the end of the build
 * ```
 */
export class CompileCache {
  readonly file: string
  #entries: Map<string, StoredCompile> | undefined
  #dirty = false
  #saveScheduled = false
  #onExit = () => this.save()

  /**
   * @param folder Where the cache file lives.
   * @param saveSoon Save on the next turn of the event loop after something was stored (for
   * callers without a build end, such as the Node hook, whose hooks thread may not see the
   * process exit); otherwise saving is up to `save()`, or the process's exit.
   */
  constructor(
    readonly folder: string,
    readonly saveSoon = false,
  ) {
    this.file = join(folder, `compiles-${compilerFingerprint().slice(0, 16)}.json`)
  }

  /** The stored compile of `file` under `root` when its key is `key` and what it extends is unchanged. */
  get(root: string, file: string, key: string): CachedCompile | undefined {
    const entry = this.#load().get(`${root}\0${file}`)
    if (entry === undefined || entry.key !== key) return undefined
    return dependenciesUnchanged(entry.dependencies) ? entry : undefined
  }

  /** Stores the compile of `file` under `root` (in memory until `save()` or the process exits). */
  set(root: string, file: string, key: string, compiled: CachedCompile): void {
    this.#load().set(`${root}\0${file}`, { ...compiled, key })
    if (!this.#dirty) process.once('exit', this.#onExit)
    this.#dirty = true
    if (this.saveSoon && !this.#saveScheduled) {
      this.#saveScheduled = true
      setImmediate(() => {
        this.#saveScheduled = false
        this.save()
      })
    }
  }

  /**
   * Writes what was stored since the last save (to a temporary file, then renamed, so that a
   * parallel build never reads half a cache), without the entries of source files that no longer
   * exist, and removes the files older compilers wrote.
   * Failing to write loses only the cache.
   */
  save(): void {
    if (!this.#dirty || this.#entries === undefined) return
    this.#dirty = false
    process.removeListener('exit', this.#onExit)
    try {
      // Entries of source files that are gone go too, so the file holds no more than the project.
      for (const name of this.#entries.keys()) {
        const [root, file] = name.split('\0') as [string, string]
        if (!existsSync(isAbsolute(file) ? file : join(root, file))) this.#entries.delete(name)
      }
      mkdirSync(this.folder, { recursive: true })
      // One temporary file per process and thread (vitest runs plugins in worker threads).
      const temporary = `${this.file}.${process.pid}-${threadId}.tmp`
      writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.#entries)))
      renameSync(temporary, this.file)
      for (const name of readdirSync(this.folder)) {
        if (/^compiles-[0-9a-f]+\.json$/.test(name) && join(this.folder, name) !== this.file) rmSync(join(this.folder, name), { force: true })
      }
    } catch {
      // A cache that cannot be written is no cache; the build itself is unaffected.
    }
  }

  #load(): Map<string, StoredCompile> {
    if (this.#entries !== undefined) return this.#entries
    try {
      this.#entries = new Map(Object.entries(JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StoredCompile>))
    } catch {
      this.#entries = new Map()
    }
    return this.#entries
  }
}

const shared = new Map<string, CompileCache>()

/**
 * The process's cache for `folder` (for callers without a build of their own: the Node hook, the
 * CLI, direct `transformFile` calls); it is saved on the turn of the event loop after a store.
 *
 * @example
 * ```ts
 * sharedCompileCache('/repo/node_modules/.cache/plait').get('/repo', 'src/app.ts', key)
 * ```
 */
export function sharedCompileCache(folder: string): CompileCache {
  let cache = shared.get(folder)
  if (cache === undefined) {
    cache = new CompileCache(folder, true)
    shared.set(folder, cache)
  }
  return cache
}
