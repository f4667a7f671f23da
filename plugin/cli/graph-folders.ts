/**
 * The source files that have graph files on disk: each folder under `.plait/` holding graph files
 * is named after its source file (`.plait/src/app.ts/` for `src/app.ts`).
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { graphFolder } from '../compiler/outputs.js'

const graphFile = /\.(graph\.json|mmd|dot|txt)$/

/**
 * Root-relative paths of the source files whose graph files are under `root/.plait/`, sorted.
 *
 * @example
 * ```ts
 * sourcesWithGraphFiles('/repo') // ['src/app.ts', 'src/review.ts']
 * ```
 */
export function sourcesWithGraphFiles(root: string): string[] {
  const base = join(root, graphFolder)
  if (!existsSync(base)) return []
  const found: string[] = []
  const walk = (folder: string, relativeFolder: string) => {
    const entries = readdirSync(folder, { withFileTypes: true })
    if (relativeFolder !== '' && entries.some((entry) => entry.isFile() && graphFile.test(entry.name))) found.push(relativeFolder)
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(folder, entry.name), relativeFolder === '' ? entry.name : `${relativeFolder}/${entry.name}`)
    }
  }
  walk(base, '')
  return found.sort()
}
