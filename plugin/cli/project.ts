/**
 * The options every compiling command shares (`--root`, `--strict`, `--include`, `--exclude`,
 * `--no-cache`),
 * parsed into the `PlaitOptions` the hosts take.
 */
import { resolve } from 'node:path'
import type { PlaitOptions } from '../types.js'

/** The `parseArgs` options shared by `graph`, `check`, `build` and `run`. */
export const projectOptions = {
  root: { type: 'string' },
  strict: { type: 'boolean' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'no-cache': { type: 'boolean' },
} as const

/** The help lines of `projectOptions`. */
export const projectOptionsHelp = `  --root <dir>         Project root: graph files go to <root>/.plait (default: the current directory)
  --strict             Tracer fallbacks (PL2xx) are errors
  --include <glob>     Only files matching the glob, relative to the root (repeatable)
  --exclude <glob>     Skip files matching the glob (repeatable; default: node_modules, .plait)
  --no-cache           Compile every file (default: reuse compiles kept in node_modules/.cache/plait)`

/**
 * `PlaitOptions` from the parsed shared options, the root resolved against `cwd`.
 *
 * @example
 * ```ts
 * plaitOptionsFrom({ root: 'app', strict: true }, '/repo') // { root: '/repo/app', strict: true }
 * plaitOptionsFrom({ 'no-cache': true }, '/repo') // { root: '/repo', cache: false }
 * ```
 */
export function plaitOptionsFrom(values: { root?: string; strict?: boolean; include?: string[]; exclude?: string[]; 'no-cache'?: boolean }, cwd: string): PlaitOptions & { root: string } {
  const options: PlaitOptions & { root: string } = { root: resolve(cwd, values.root ?? '.') }
  if (values.strict === true) options.strict = true
  if (values['no-cache'] === true) options.cache = false
  if (values.include !== undefined) options.include = values.include
  if (values.exclude !== undefined) options.exclude = values.exclude
  return options
}
