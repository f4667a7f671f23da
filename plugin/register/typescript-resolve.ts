/**
 * The resolve fallback that goes with type stripping: TypeScript sources import each other as
 * `./util.js` (NodeNext) or `./util` while only `util.ts` exists. tsx resolves those itself; on
 * plain Node the hook does, for relative imports from a TypeScript file that Node cannot find.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isTypeScriptFile } from './strip-types.js'

const swaps: ReadonlyArray<[RegExp, string[]]> = [
  [/\.js$/, ['.ts', '.tsx']],
  [/\.mjs$/, ['.mts']],
  [/\.cjs$/, ['.cts']],
  [/(?<!\.[cm]?[jt]sx?)$/, ['.ts', '.tsx', '/index.ts']],
]

/**
 * The TypeScript file a failed relative import from a TypeScript file means, as a URL, or
 * `undefined` when there is none on disk.
 *
 * @example
 * ```ts
 * typeScriptAlternative('./util.js', 'file:///repo/app.ts') // 'file:///repo/util.ts' (when it exists)
 * ```
 */
export function typeScriptAlternative(specifier: string, parentURL: string | undefined): string | undefined {
  if (!parentURL?.startsWith('file:') || !isTypeScriptFile(fileURLToPath(parentURL))) return undefined
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined
  const bare = specifier.replace(/[?#].*$/, '')
  for (const [pattern, extensions] of swaps) {
    if (!pattern.test(bare)) continue
    for (const extension of extensions) {
      const candidate = new URL(bare.replace(pattern, extension), parentURL)
      if (existsSync(fileURLToPath(candidate))) return candidate.href
    }
  }
  return undefined
}

/**
 * Whether `error` is Node failing to find a module (the only failure the fallback answers).
 *
 * @example
 * ```ts
 * try { return nextResolve(specifier, context) } catch (error) { if (!isNotFound(error)) throw error }
 * ```
 */
export function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
}

/**
 * Whether `error` is Node refusing a TypeScript file because no loader handles its extension.
 *
 * @example
 * ```ts
 * try { return nextLoad(url, context) } catch (error) { if (isUnloadableTypeScript(error, url)) return compiler.loadTypeScript(url) }
 * ```
 */
export function isUnloadableTypeScript(error: unknown, url: string): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ERR_UNKNOWN_FILE_EXTENSION' && url.startsWith('file:') && isTypeScriptFile(fileURLToPath(url))
}
