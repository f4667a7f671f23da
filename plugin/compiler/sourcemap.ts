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

/** The parts of a magic-string chunk the map is made from (magic-string's own fields, not in its typings). */
interface Chunk {
  start: number
  end: number
  intro: string
  outro: string
  content: string
  edited: boolean
  storeName: boolean
  next: Chunk | null
}

/** A MagicString as `boundaryMap` reads it. */
interface MagicStringInternals {
  original: string
  intro: string
  outro: string
  firstChunk: Chunk
  storedNames: Record<string, boolean>
  generateMap(options: { hires: 'boundary'; source: string; file: string; includeContent: true }): SourceMap
}

/** `\w`: a character that continues a word (magic-string's `hires: 'boundary'` puts one segment per word). */
function isWordCharacter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95
}

/**
 * The source map of an edited MagicString, exactly as `ms.generateMap({ hires: 'boundary', source:
 * fileId, file: fileId, includeContent: true })` gives it, without its cost: magic-string
 * allocates a segment and runs a regular expression for every character of the file, which was
 * the largest single cost of compiling a small module. Walks magic-string's chunk list the way its
 * `generateDecodedMap` does; a string with stored names (the compiler stores none) takes
 * magic-string's own path.
 *
 * @example
 * ```ts
 * const map = boundaryMap(ms, '/repo/src/app.ts') // { version: 3, file: 'app.ts', sources: ['app.ts'], ... }
 * ```
 */
export function boundaryMap(magicString: object, fileId: string): SourceMap {
  const ms = magicString as MagicStringInternals
  const baseName = fileId.split(/[/\\]/).pop()!
  if (Object.keys(ms.storedNames).length > 0) {
    const map = ms.generateMap({ hires: 'boundary', source: fileId, file: fileId, includeContent: true })
    return { version: 3, file: map.file, sources: map.sources, sourcesContent: map.sourcesContent, names: map.names, mappings: map.mappings }
  }
  const original = ms.original
  const lineStarts = [0]
  for (let index = original.indexOf('\n'); index !== -1; index = original.indexOf('\n', index + 1)) lineStarts.push(index + 1)
  const lines: SourceMapSegment[][] = [[]]
  let segments = lines[0]!
  let generatedColumn = 0
  /** Moves the generated position over inserted text. */
  const advance = (text: string): void => {
    let lineBreak = text.indexOf('\n')
    if (lineBreak === -1) {
      generatedColumn += text.length
      return
    }
    let lastLineStart = 0
    while (lineBreak !== -1) {
      segments = []
      lines.push(segments)
      lastLineStart = lineBreak + 1
      lineBreak = text.indexOf('\n', lastLineStart)
    }
    generatedColumn = text.length - lastLineStart
  }
  if (ms.intro) advance(ms.intro)
  for (let chunk: Chunk | null = ms.firstChunk; chunk !== null; chunk = chunk.next) {
    // The original line and column of the chunk's start.
    let low = 0
    let high = lineStarts.length
    while (low < high) {
      const middle = (low + high) >> 1
      if (chunk.start < lineStarts[middle]!) high = middle
      else low = middle + 1
    }
    let line = low - 1
    let column = chunk.start - lineStarts[line]!
    if (chunk.intro.length) advance(chunk.intro)
    if (chunk.edited) {
      // Replaced text: a segment at the start of each of its lines, all at the chunk's start.
      const content = chunk.content
      if (content.length) {
        let lineEnd = content.indexOf('\n')
        let previousLineEnd = -1
        while (lineEnd >= 0 && content.length - 1 > lineEnd) {
          segments.push([generatedColumn, 0, line, column])
          segments = []
          lines.push(segments)
          generatedColumn = 0
          previousLineEnd = lineEnd
          lineEnd = content.indexOf('\n', lineEnd + 1)
        }
        segments.push([generatedColumn, 0, line, column])
        advance(content.slice(previousLineEnd + 1))
      }
    } else {
      // Unchanged text: a segment where each word starts and at every other character.
      let inWord = false
      for (let index = chunk.start; index < chunk.end; index++) {
        const code = original.charCodeAt(index)
        if (code === 10) {
          line++
          column = 0
          segments = []
          lines.push(segments)
          generatedColumn = 0
          inWord = false
          continue
        }
        if (!isWordCharacter(code)) {
          segments.push([generatedColumn, 0, line, column])
          inWord = false
        } else if (!inWord) {
          segments.push([generatedColumn, 0, line, column])
          inWord = true
        }
        column++
        generatedColumn++
      }
    }
    if (chunk.outro.length) advance(chunk.outro)
  }
  if (ms.outro) advance(ms.outro)
  return { version: 3, file: baseName, sources: [baseName], sourcesContent: [original], names: [], mappings: encode(lines) }
}
