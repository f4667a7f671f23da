/**
 * The one generator of graph files on disk, shared by every host and the CLI: what a compile of
 * a source file writes under `.plait/`, and whether what is there is up to date (`plait check`).
 * The file names and contents come from `graphFiles()` in the compiler core.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Graph } from '../src/graph/types.js'
import { graphFiles, graphFolder } from './compiler/outputs.js'

/** The `.gitignore` written into `.plait/`, so graph files stay out of git until a team decides otherwise. */
const ignoreFile = '# Written by plait. Delete this file to commit the graph files.\n*\n'

/**
 * The folder holding the graph files of one source file (root-relative), e.g.
 * `.plait/src/app.ts` for `src/app.ts`.
 *
 * @example
 * ```ts
 * graphFolderOf('src/app.ts') // '.plait/src/app.ts'
 * ```
 */
export function graphFolderOf(file: string): string {
  return `${graphFolder}/${file}`
}

/**
 * Writes the graph files of one compiled source file under `root/.plait/`: files whose content
 * changed are rewritten, files of classes that no longer compile are removed, unchanged files are
 * left alone (so watchers do not loop). Returns the root-relative paths it wrote or removed.
 *
 * @example
 * ```ts
 * const { graphs } = compile(source, '/repo/src/app.ts', { root: '/repo' })
 * writeGraphFiles('/repo', 'src/app.ts', graphs) // ['.plait/src/app.ts/Pipeline.graph.json', ...]
 * ```
 */
export function writeGraphFiles(root: string, file: string, graphs: readonly Graph[]): string[] {
  const wanted = graphFiles(graphs.filter((graph) => graph.file === file))
  const changed: string[] = []
  const folder = join(root, graphFolderOf(file))
  if (Object.keys(wanted).length > 0) ensureIgnored(root)
  let folderMade = false
  for (const [path, text] of Object.entries(wanted)) {
    const target = join(root, path)
    if (readIfPresent(target) === text) continue
    if (!folderMade) mkdirSync(dirname(target), { recursive: true })
    folderMade = true
    writeFileSync(target, text)
    changed.push(path)
  }
  for (const path of filesIn(root, folder)) {
    if (!(path in wanted)) {
      rmSync(join(root, path))
      changed.push(path)
    }
  }
  return changed
}

/** What `checkGraphFiles()` found. */
export interface GraphFileCheck {
  /** Files a build would write that are not on disk. */
  missing: string[]
  /** Files on disk whose content differs from what a build would write. */
  stale: string[]
  /** Files on disk for this source file that a build would not write (a class was removed or renamed). */
  orphaned: string[]
}

/**
 * Compares the graph files on disk for one source file with what its compile gives, without
 * writing anything (`plait check`).
 *
 * @example
 * ```ts
 * const { missing, stale, orphaned } = checkGraphFiles('/repo', 'src/app.ts', graphs)
 * if (missing.length + stale.length + orphaned.length > 0) process.exitCode = 1
 * ```
 */
export function checkGraphFiles(root: string, file: string, graphs: readonly Graph[]): GraphFileCheck {
  const wanted = graphFiles(graphs.filter((graph) => graph.file === file))
  const result: GraphFileCheck = { missing: [], stale: [], orphaned: [] }
  for (const [path, text] of Object.entries(wanted)) {
    const target = join(root, path)
    const present = readIfPresent(target)
    if (present === undefined) result.missing.push(path)
    else if (present !== text) result.stale.push(path)
  }
  for (const path of filesIn(root, join(root, graphFolderOf(file)))) {
    if (!(path in wanted)) result.orphaned.push(path)
  }
  return result
}

/** The root-relative paths of the graph files directly inside `folder` (none when it does not exist). */
function filesIn(root: string, folder: string): string[] {
  if (!existsSync(folder)) return []
  const prefix = folder.slice(root.length).replaceAll('\\', '/').replace(/^\//, '')
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(graph\.json|mmd|dot|txt)$/.test(entry.name))
    .map((entry) => `${prefix}/${entry.name}`)
}

/** The text of a file, or `undefined` when there is none. */
function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function ensureIgnored(root: string): void {
  const path = join(root, graphFolder, '.gitignore')
  if (existsSync(path)) return
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, ignoreFile)
}
