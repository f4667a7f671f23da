/**
 * Source locations of user code, taken from V8 call-site stacks. Capturing is cheap (V8 formats
 * the stack lazily); parsing happens only when a location is shown (errors, graphs).
 */
import { fileURLToPath } from 'node:url'
import type { SourceLocation } from '../src/graph/types.js'

/** Folders whose frames are plait's own and are skipped when looking for the user's line. */
const ownFolders = ['src', 'runtime', 'plugin', 'dist'].map((folder) => fileURLToPath(new URL(`../${folder}/`, import.meta.url)))
const packageRoot = fileURLToPath(new URL('../', import.meta.url))
const isOwnFolder = (file: string) => ownFolders.some((folder) => file.startsWith(folder)) && !file.endsWith('.test.ts')

/** Where a node was made: a captured stack, parsed on demand, or a location known at build time. */
export type CallSite = { readonly stack?: string; readonly line?: undefined } | SourceLocation

/**
 * Frames kept when the caller of a known function is wanted: that caller only. It is the user's
 * line whenever user code made the call (helpers and callbacks included); when plait's own code
 * made it (a container's forward), the frames under it are plait's too, so more would not help.
 */
const callerFrames = 1

/**
 * Captures the current stack without formatting it. V8's cost grows with every frame it walks
 * (about 1 µs each here), so with `below`, a function known to be on the stack (the callable
 * module the user called), the frames from here up to it are skipped and only the frame under
 * it is kept (`below` must be on the stack, or nothing is kept). Without `below`, the ten
 * frames under this call are kept.
 *
 * @example
 * ```ts
 * const site = captureCallSite()
 * resolveCallSite(site) // { file: 'fixtures/demo.ts', line: 12, column: 5 }
 * captureCallSite(module) // the frames under the call of `module`
 * ```
 */
export function captureCallSite(below?: Function): CallSite {
  const holder: { stack?: string } = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = below === undefined ? 10 : callerFrames
  Error.captureStackTrace(holder, below ?? captureCallSite)
  Error.stackTraceLimit = limit
  return holder
}

const framePattern = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/

/**
 * The first frame of a captured stack that is not plait's own, with a path relative to the
 * current working directory. `undefined` when there is none (e.g. called from plait itself).
 *
 * @example
 * ```ts
 * resolveCallSite(captureCallSite())?.line
 * ```
 */
export function resolveCallSite(site: CallSite | undefined): SourceLocation | undefined {
  if (site?.line !== undefined) return site as SourceLocation
  const stack = (site as { stack?: string } | undefined)?.stack
  if (!stack) return undefined
  for (const line of stack.split('\n').slice(1)) {
    const match = framePattern.exec(line.trim())
    if (!match) continue
    let file = match[1]!
    if (file.startsWith('file://')) file = fileURLToPath(file)
    if (file.startsWith('node:') || !file.includes('/') || isOwnFolder(file) || file.includes('/node_modules/')) continue
    return { file: relativePath(file), line: Number(match[2]), column: Number(match[3]) }
  }
  return undefined
}

/** `file` relative to the working directory when inside it, with forward slashes. */
export function relativePath(file: string): string {
  const cwd = process.cwd().replaceAll('\\', '/') + '/'
  const normal = file.replaceAll('\\', '/')
  return normal.startsWith(cwd) ? normal.slice(cwd.length) : normal
}

/**
 * `file:line:column`, or `an unknown place`.
 *
 * @example
 * ```ts
 * formatLocation({ file: 'app.ts', line: 3, column: 7 }) // 'app.ts:3:7'
 * ```
 */
export function formatLocation(location: SourceLocation | undefined): string {
  return location ? `${location.file}:${location.line}:${location.column}` : 'an unknown place'
}

export { packageRoot }
