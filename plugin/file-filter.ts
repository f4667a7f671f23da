/**
 * Which files a host hands to plait: script files outside `node_modules` and `.plait` (or what
 * `include`/`exclude` say) that mention plait. Nothing here loads the compiler.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path'
import picomatch from 'picomatch'
import type { FilterPattern, PlaitOptions } from './types.js'

const scriptFile = /\.[cm]?[jt]sx?$/
const defaultExclude = [/[\\/]node_modules[\\/]/, /[\\/]\.plait[\\/]/]

/**
 * Whether `id` is a file the host should hand to `transformFile` (`include`/`exclude` from the
 * options; query strings ignored). Globs are matched with picomatch, relative to the root.
 *
 * @example
 * ```ts
 * const wanted = fileFilter({ include: ['src/**\/*.ts'] }, '/repo')
 * wanted('/repo/src/app.ts') // true
 * ```
 */
export function fileFilter(options: PlaitOptions, root: string): (id: string) => boolean {
  const include = options.include === undefined ? undefined : matcher(options.include, root)
  const exclude = options.exclude === undefined ? undefined : matcher(options.exclude, root)
  return (id) => {
    const file = id.replace(/\?.*$/, '')
    if (!scriptFile.test(file) || file.startsWith('\0')) return false
    if (exclude ? exclude(file) : defaultExclude.some((pattern) => pattern.test(file))) return false
    return include ? include(file) : true
  }
}

function matcher(pattern: FilterPattern, root: string): (file: string) => boolean {
  const patterns = (typeof pattern === 'string' || pattern instanceof RegExp ? [pattern] : pattern).map((entry) => {
    if (entry instanceof RegExp) return (file: string) => entry.test(file)
    const glob = isAbsolute(entry) ? entry : resolvePath(root, entry)
    return (file: string) => globMatch(glob.replaceAll('\\', '/'), file.replaceAll('\\', '/'))
  })
  return (file) => patterns.some((test) => test(file))
}

const compiledGlobs = new Map<string, (file: string) => boolean>()
function globMatch(glob: string, file: string): boolean {
  let test = compiledGlobs.get(glob)
  if (!test) {
    test = picomatch(glob, { dot: true })
    compiledGlobs.set(glob, test)
  }
  return test(file)
}

/** What `mentionsPlait` looks for; hosts with hook filters (unplugin's `transform.filter`) use it to skip other files before calling in. */
export const mentionsPlaitPattern = /['"]plait['"]|['"]use plait['"]/

/** Cheap test before parsing: the file imports plait or opts in with a directive. */
export function mentionsPlait(code: string): boolean {
  return mentionsPlaitPattern.test(code)
}
