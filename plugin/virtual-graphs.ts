/**
 * The virtual module `virtual:plait/graphs`: the graphs of every compiled `forward()` of the
 * project, keyed `'<root-relative file>#<Class>'`. A bundler may load it before it has
 * transformed the files it imports (or without importing them at all), so the graphs do not come
 * from the transforms: every file under the root that the filter accepts and that mentions plait
 * is compiled from disk, and the result is cached by the content of the file and of the files its
 * classes extend (a rebuild compiles only what changed).
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { graphToJSON } from '../src/graph/json.js'
import type { Graph } from '../src/graph/types.js'
import { compile } from './compiler/index.js'
import { nodeResolver } from './compiler/resolve.js'
import { mentionsPlait } from './transform.js'

/**
 * The id a program imports.
 *
 * @example
 * ```ts
 * import graphs from 'virtual:plait/graphs' // resolved by the plugin to `\0${virtualGraphsId}`
 * ```
 */
export const virtualGraphsId = 'virtual:plait/graphs'

/** Folders never searched for source files (besides every folder whose name starts with a dot). */
const skippedFolders = new Set(['node_modules', 'dist', 'build', 'out', 'coverage'])

interface CachedFile {
  /** Hash of the file's text and of the text of every file it extends. */
  key: string
  dependencies: string[]
  graphs: Graph[]
}

/**
 * What a load of the virtual module gives a host.
 *
 * @example
 * ```ts
 * const { code, files } = cache.load(root, accept)
 * for (const file of files) this.addWatchFile(file)
 * ```
 */
export interface ProjectGraphs {
  /** The module's code. */
  code: string
  /** Every file read (watch them: a change there changes the module). */
  files: string[]
  /** How many files were compiled for this load (the others came from the cache). */
  compiled: number
}

/**
 * Compiles the project's plait files for `virtual:plait/graphs`, remembering the graphs of files
 * whose text (and whose base classes' text) did not change since the last call.
 *
 * @example
 * ```ts
 * const graphs = new ProjectGraphCache()
 * const { code, files, compiled } = graphs.load('/repo', (file) => file.endsWith('.ts'), ['/repo/public'])
 * // code: 'export const graphs = { "src/app.ts#Pipeline": {...} }\nexport default graphs\n'
 * ```
 */
export class ProjectGraphCache {
  readonly #files = new Map<string, CachedFile>()

  /** The module text for `root`: files accepted by `accept`, outside `skip` (absolute folders). */
  load(root: string, accept: (file: string) => boolean, skip: readonly string[] = []): ProjectGraphs {
    const files = sourceFiles(root, accept, new Set(skip))
    const entries: string[] = []
    const read: string[] = []
    let compiledCount = 0
    for (const file of files) {
      const source = readFileSync(file, 'utf8')
      if (!mentionsPlait(source)) continue
      const before = this.#files.get(file)
      const compiled = this.#compiled(file, source, root)
      if (compiled !== before) compiledCount++
      read.push(file, ...compiled.dependencies)
      for (const graph of compiled.graphs) entries.push(`  ${JSON.stringify(`${graph.file}#${graph.name}`)}: ${graphToJSON(graph).trimEnd().replaceAll('\n', '\n  ')}`)
    }
    const code = `/** The graphs of every compiled forward() of the project (written by plait). */\nexport const graphs = {\n${entries.join(',\n')}\n}\nexport default graphs\n`
    return { code, files: [...new Set(read)], compiled: compiledCount }
  }

  #compiled(file: string, source: string, root: string): CachedFile {
    const cached = this.#files.get(file)
    if (cached && cached.key === contentKey(source, cached.dependencies)) return cached
    const dependencies: string[] = []
    const resolveFromDisk = nodeResolver()
    const result = compile(source, file, {
      root,
      resolve: (specifier, importer) => {
        const found = resolveFromDisk(specifier, importer)
        if (found) dependencies.push(found.id)
        return found
      },
    })
    const unique = [...new Set(dependencies)]
    const entry = { key: contentKey(source, unique), dependencies: unique, graphs: result.graphs }
    this.#files.set(file, entry)
    return entry
  }
}

function contentKey(source: string, dependencies: readonly string[]): string {
  const hash = createHash('sha256').update(source)
  for (const dependency of dependencies) {
    hash.update('\0').update(dependency).update('\0')
    try {
      hash.update(readFileSync(dependency))
    } catch {
      hash.update('missing')
    }
  }
  return hash.digest('hex')
}

/** Files under `root` (sorted, so the module is the same on every build) that `accept` takes. */
function sourceFiles(root: string, accept: (file: string) => boolean, skip: ReadonlySet<string>): string[] {
  const found: string[] = []
  const walk = (folder: string) => {
    let entries
    try {
      entries = readdirSync(folder, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !skippedFolders.has(entry.name) && !skip.has(path)) walk(path)
      } else if (entry.isFile() && accept(path)) found.push(path)
    }
  }
  walk(root)
  return found
}
