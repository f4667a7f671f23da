/**
 * Which source files a command works on: the ones named on the command line, or every script
 * file under the root that passes the host filter (`include`/`exclude`) and mentions plait.
 * Folders skipped: see `findSourceFiles` (dot folders, `node_modules`, `dist`, `build`, `out`, `coverage`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { findSourceFiles } from '../sources.js'
import { fileFilter, mentionsPlait } from '../transform.js'
import type { PlaitOptions } from '../types.js'
import { UsageError } from './args.js'

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
  return findSourceFiles(root, fileFilter(options, root)).filter((path) => mentionsPlait(readFileSync(path, 'utf8')))
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
