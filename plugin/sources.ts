/**
 * Which files of a project plait looks at when no host hands them over (`virtual:plait/graphs`,
 * the CLI): every script file under the root that a filter accepts, in a stable order.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Folders never searched (besides every folder whose name starts with a dot). */
const skippedFolders = new Set(['node_modules', 'dist', 'build', 'out', 'coverage'])

/**
 * The files under `root` that `accept` takes, sorted (so what is made from them is the same on
 * every build); declaration files (`.d.ts`), dot folders, `node_modules`, `dist`, `build`, `out`,
 * `coverage` and the absolute folders in `skip` are left out.
 *
 * @example
 * ```ts
 * findSourceFiles('/repo', fileFilter({}, '/repo')) // ['/repo/src/app.ts', '/repo/src/review.ts']
 * ```
 */
export function findSourceFiles(root: string, accept: (file: string) => boolean, skip: ReadonlySet<string> = new Set()): string[] {
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
      } else if (entry.isFile() && !/\.d\.[cm]?ts$/.test(entry.name) && accept(path)) found.push(path)
    }
  }
  walk(root)
  return found
}
