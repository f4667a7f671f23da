/**
 * Inline source maps, the way Node and tsx pass them along: a `//# sourceMappingURL=data:...`
 * comment at the end of the code. The hook reads the one a loader before it left and writes the
 * composed one in its place.
 */
import type { SourceMapInput } from '../compiler/index.js'

const inlineMap = /\n?\/\/[#@] sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)\s*$/

/**
 * Splits `code` into the code without its trailing inline source map and that map (when present).
 *
 * @example
 * ```ts
 * const { code, map } = takeInlineSourceMap(loadedByTsx)
 * transformFile({ code, id, inputMap: map }, options)
 * ```
 */
export function takeInlineSourceMap(code: string): { code: string; map?: SourceMapInput } {
  const found = inlineMap.exec(code)
  if (!found) return { code }
  try {
    const map = JSON.parse(Buffer.from(found[1]!, 'base64').toString('utf8')) as SourceMapInput
    return { code: code.slice(0, found.index), map }
  } catch {
    return { code }
  }
}

/**
 * `code` followed by `map` as an inline source map comment.
 *
 * @example
 * ```ts
 * withInlineSourceMap('let a = 1', map) // 'let a = 1\n//# sourceMappingURL=data:application/json;base64,...'
 * ```
 */
export function withInlineSourceMap(code: string, map: object): string {
  return `${code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`
}
