/**
 * Pass 1, parse: the source text as a TypeScript syntax tree (no type checker), and the
 * root-relative file path used in locations and graphs.
 */
import ts from 'typescript'
import { relativeFile } from './relative-file.js'

/** Options of `compile()` that every pass may read. */
export interface CompileOptions {
  /** Project root; locations and graph files use paths relative to it. Default: the file id as given. */
  root?: string
  /** PL2xx diagnostics become errors. */
  strict?: boolean
  /** Produce a source map of the edits. Default: `true`; with `false` the result's `map` is `null`. */
  sourceMap?: boolean
  /** A source map of the input (from an earlier transform), composed into the output map. */
  inputMap?: SourceMapInput
  /** Version written into graphs; defaults to the compiler's own. */
  compilerVersion?: string
  /**
   * Finds the file an import refers to, so that `extends` is followed across files (see
   * `nodeResolver()`); without it the compiler sees only the file it compiles.
   */
  resolve?: (specifier: string, importer: string) => { id: string; source: string } | undefined
  /** Internal: the original text whose hash graphs carry, when compiling a rewritten one. */
  sourceHashOf?: string
}

/** A source map as JSON (version 3). */
export interface SourceMapInput {
  version: number
  sources: string[]
  names: string[]
  mappings: string
  file?: string
  sourceRoot?: string
  sourcesContent?: Array<string | null>
}

/** The parsed file. */
export interface Parsed {
  source: string
  fileId: string
  /** Root-relative path with forward slashes (`fixtures/app.ts`). */
  file: string
  sf: ts.SourceFile
  /** 0-based start offset of every line, for line and column look-ups. */
  lineStarts: readonly number[]
}

/**
 * Parses `source`: TypeScript for `.ts`/`.mts`/`.cts`/`.tsx`, JavaScript otherwise (already
 * stripped code parses as TypeScript too, but JSX needs the right kind).
 *
 * @example
 * ```ts
 * const parsed = parse('class A {}', '/repo/src/a.ts', { root: '/repo' })
 * parsed.file // 'src/a.ts'
 * ```
 */
export function parse(source: string, fileId: string, options: CompileOptions = {}): Parsed {
  const path = fileId.replace(/\?.*$/, '')
  const kind = /\.tsx$/.test(path) ? ts.ScriptKind.TSX : /\.jsx$/.test(path) ? ts.ScriptKind.JSX : /\.[cm]?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS
  const sf = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, kind)
  return { source, fileId, file: relativeFile(fileId, options.root), sf, lineStarts: sf.getLineStarts() }
}

/**
 * 1-based line and column of offset `pos`.
 *
 * @example
 * ```ts
 * lineColumn(parse('a\n  b', 'x.ts'), 4) // { line: 2, column: 3 }
 * ```
 */
export function lineColumn(parsed: Parsed, pos: number): { line: number; column: number } {
  const { line, character } = parsed.sf.getLineAndCharacterOfPosition(pos)
  return { line: line + 1, column: character + 1 }
}

/**
 * The text of the 1-based line `line`, without its line break.
 *
 * @example
 * ```ts
 * lineText(parse('a\nbc\n', 'x.ts'), 2) // 'bc'
 * ```
 */
export function lineText(parsed: Parsed, line: number): string {
  const start = parsed.lineStarts[line - 1] ?? 0
  const end = parsed.lineStarts[line] ?? parsed.source.length
  return parsed.source.slice(start, end).replace(/\r?\n$/, '')
}
