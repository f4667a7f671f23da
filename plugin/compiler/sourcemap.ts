/**
 * Source map composition: the map of this transform followed by the map of the transform before
 * it, so that positions in the output point at the original source.
 */
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec'
import type { SourceMapInput } from './parse.js'

/** A version 3 source map as JSON. */
export interface SourceMap {
  version: 3
  file?: string
  sources: string[]
  sourcesContent?: Array<string | null>
  names: string[]
  mappings: string
}

/** The segment of `line` that covers `column` (the last one starting at or before it). */
function lookup(line: readonly SourceMapSegment[] | undefined, column: number): SourceMapSegment | undefined {
  if (!line) return undefined
  let found: SourceMapSegment | undefined
  for (const segment of line) {
    if (segment[0] > column) break
    found = segment
  }
  return found
}

/**
 * `outer` maps output -> intermediate; `inner` maps intermediate -> original. Gives output ->
 * original; a position the inner map does not cover is dropped.
 *
 * @example
 * ```ts
 * const map = composeSourceMaps(magicStringMap, incomingMap)
 * ```
 */
export function composeSourceMaps(outer: SourceMap, inner: SourceMapInput): SourceMap {
  const outerLines = decode(outer.mappings)
  const innerLines = decode(inner.mappings)
  const names: string[] = []
  const nameIndex = new Map<string, number>()
  const sources: string[] = []
  const contents: Array<string | null> = []
  const sourceIndex = new Map<string, number>()
  const lines = outerLines.map((line) =>
    line.flatMap((segment): SourceMapSegment[] => {
      if (segment.length === 1) return []
      const found = lookup(innerLines[segment[2]], segment[3])
      if (!found || found.length === 1) return []
      const source = (inner.sourceRoot ?? '') + (inner.sources[found[1]] ?? '')
      let index = sourceIndex.get(source)
      if (index === undefined) {
        index = sources.length
        sources.push(source)
        contents.push(inner.sourcesContent?.[found[1]] ?? null)
        sourceIndex.set(source, index)
      }
      const name = found.length === 5 ? inner.names[found[4]] : segment.length === 5 ? outer.names[segment[4]] : undefined
      if (name === undefined) return [[segment[0], index, found[2], found[3]]]
      let nameAt = nameIndex.get(name)
      if (nameAt === undefined) {
        nameAt = names.length
        names.push(name)
        nameIndex.set(name, nameAt)
      }
      return [[segment[0], index, found[2], found[3], nameAt]]
    }),
  )
  const map: SourceMap = { version: 3, sources, sourcesContent: contents, names, mappings: encode(lines) }
  if (outer.file !== undefined) map.file = outer.file
  return map
}
