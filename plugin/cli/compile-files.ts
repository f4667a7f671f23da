/**
 * Compiles source files the way every host does (`transformFile`), collecting results and
 * diagnostics instead of stopping at the first file with an error.
 */
import { readFileSync } from 'node:fs'
import { formatDiagnostic } from '../../src/graph/diagnostic.js'
import type { Diagnostic } from '../../src/graph/types.js'
import { relativeFile } from '../compiler/relative-file.js'
import { PlaitBuildError, transformFile } from '../transform.js'
import type { PlaitOptions, TransformOutput } from '../types.js'
import type { TextSink } from './io.js'

/** One compiled source file. */
export interface CompiledFile {
  /** Absolute path. */
  path: string
  /** Path relative to the root, as graph files name it. */
  file: string
  /** The file's text as read. */
  source: string
  /** What `transformFile` gave, or `undefined` when the file has errors. */
  output?: TransformOutput
  /** Errors (PL1xx, and PL2xx with `strict`) and warnings. */
  diagnostics: Diagnostic[]
}

/**
 * Compiles `paths` with `transformFile` (so graph files are written unless `options.graphs` is
 * `false`). A file with errors gets no `output`; its errors are in `diagnostics`.
 *
 * @example
 * ```ts
 * const files = compileFiles(['/repo/src/app.ts'], { root: '/repo' })
 * const failed = files.some((file) => file.output === undefined)
 * ```
 */
export function compileFiles(paths: readonly string[], options: PlaitOptions & { root: string }): CompiledFile[] {
  return paths.map((path) => {
    const source = readFileSync(path, 'utf8')
    const file = relativeFile(path, options.root)
    try {
      const output = transformFile({ code: source, id: path }, options)
      return { path, file, source, output, diagnostics: output.diagnostics }
    } catch (error) {
      if (error instanceof PlaitBuildError) return { path, file, source, diagnostics: error.diagnostics }
      throw error
    }
  })
}

/**
 * Prints every diagnostic of `files` formatted, separated by blank lines, and returns how many
 * were errors.
 *
 * @example
 * ```ts
 * if (reportDiagnostics(files, io.stderr) > 0) return exitCode.failed
 * ```
 */
export function reportDiagnostics(files: readonly CompiledFile[], sink: TextSink): number {
  let errors = 0
  for (const { diagnostics } of files) {
    for (const diagnostic of diagnostics) {
      if (diagnostic.severity === 'error') errors++
      sink.write(`${formatDiagnostic(diagnostic)}\n\n`)
    }
  }
  return errors
}
