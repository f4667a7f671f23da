/**
 * The virtual module `virtual:plait/graphs`: the graphs of every compiled `forward()` of the
 * project, keyed `'<root-relative file>#<Class>'`. A bundler may load it before it has
 * transformed the files it imports (or without importing them at all), so the graphs do not come
 * from the transforms: every file under the root that the filter accepts and that mentions plait
 * is compiled from disk, and the result is cached by the content of the file and of the files its
 * classes extend (a rebuild compiles only what changed).
 */
import { readFileSync } from 'node:fs'
import { graphToJSON } from '../src/graph/json.js'
import { dependenciesUnchanged, type CachedCompile } from './compile-cache.js'
import { findSourceFiles } from './sources.js'
import { compileFile, mentionsPlait } from './transform.js'

interface CachedFile {
  /** The text the file had. */
  source: string
  compiled: CachedCompile
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
    const files = findSourceFiles(root, accept, new Set(skip))
    const entries: string[] = []
    const read: string[] = []
    let compiledCount = 0
    for (const file of files) {
      const source = readFileSync(file, 'utf8')
      if (!mentionsPlait(source)) continue
      const before = this.#files.get(file)
      const { compiled } = this.#compiled(file, source, root)
      if (compiled !== before?.compiled) compiledCount++
      read.push(file, ...compiled.dependencies.map((dependency) => dependency.file))
      for (const graph of compiled.graphs) entries.push(`  ${JSON.stringify(`${graph.file}#${graph.name}`)}: ${graphToJSON(graph).trimEnd().replaceAll('\n', '\n  ')}`)
    }
    const code = `/** The graphs of every compiled forward() of the project (written by plait). */\nexport const graphs = {\n${entries.join(',\n')}\n}\nexport default graphs\n`
    return { code, files: [...new Set(read)], compiled: compiledCount }
  }

  #compiled(file: string, source: string, root: string): CachedFile {
    const cached = this.#files.get(file)
    if (cached && cached.source === source && dependenciesUnchanged(cached.compiled.dependencies)) return cached
    const entry = { source, compiled: compileFile({ code: source, id: file }, root, false, false) }
    this.#files.set(file, entry)
    return entry
  }
}
