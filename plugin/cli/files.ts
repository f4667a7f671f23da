/**
 * Which source files a command works on: the ones named on the command line, or every script
 * file under the root that passes the host filter (`include`/`exclude`) and mentions plait.
 * `node_modules`, `.plait`, `dist` and hidden folders are never walked.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileFilter, mentionsPlait } from '../transform.js'
import type { PlaitOptions } from '../types.js'
import { UsageError } from './args.js'

/** Folders never walked when looking for sources. */
const skippedFolders = new Set(['node_modules', 'dist', 'build', 'coverage'])

/**
 * Every file under `root` a host would compile: it passes `fileFilter(options, root)` and mentions
 * plait. Sorted, absolute.
 *
 * @example
 * ```ts
 * findSources('/repo', {}) // ['/repo/src/app.ts', '/repo/src/review.ts']
 * ```
 */
export function findSources(root: string, options: PlaitOptions): string[] {
  const wanted = fileFilter(options, root)
  const found: string[] = []
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !skippedFolders.has(entry.name)) walk(path)
      } else if (entry.isFile() && wanted(path) && !path.endsWith('.d.ts') && mentionsPlait(readFileSync(path, 'utf8'))) {
        found.push(path)
      }
    }
  }
  walk(root)
  return found.sort()
}

/**
 * The files named on the command line (resolved against `cwd`, each checked to exist), or, when
 * none are named, `findSources(root, options)`.
 *
 * @example
 * ```ts
 * selectSources(['src/app.ts'], { cwd: '/repo', root: '/repo', options: {}, command: 'graph' }) // ['/repo/src/app.ts']
 * ```
 */
export function selectSources(named: readonly string[], context: { cwd: string; root: string; options: PlaitOptions; command: string }): string[] {
  if (named.length === 0) return findSources(context.root, context.options)
  return named.map((name) => {
    const path = resolve(context.cwd, name)
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`Expected \`${name}\` to be a source file; it does not exist.`, context.command)
    return path
  })
}

/**
 * A path for messages: relative to `cwd` when inside it, absolute otherwise.
 *
 * @example
 * ```ts
 * displayPath('/repo', '/repo/src/app.ts') // 'src/app.ts'
 * ```
 */
export function displayPath(cwd: string, path: string): string {
  const shown = relative(cwd, path)
  return shown === '' ? '.' : shown.startsWith('..') ? path : shown.replaceAll('\\', '/')
}
