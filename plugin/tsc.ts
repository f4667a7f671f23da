/**
 * `plait/tsc`: a ts-patch program transformer, for projects built with `tsc` (TypeScript 6 and
 * older; use `plait build` for TypeScript 7). One line in tsconfig.json:
 *
 * ```json
 * { "compilerOptions": { "plugins": [{ "transform": "plait/tsc", "transformProgram": true }] } }
 * ```
 *
 * The compiler edits source text, so the transformer compiles every plait file with the shared
 * `transformFile` (the same code and graph files as the bundler plugins) and emits JavaScript
 * from a second Program made of the compiled texts. Type checking and declarations stay with the
 * Program of the files as written, so errors point at the user's code and `.d.ts` files keep the
 * declared types. Source maps of the emitted JavaScript are composed back to the original files.
 */
import { dirname, resolve } from 'node:path'
import type * as TS from 'typescript'
import type TypeScriptModule from 'typescript'
import type { Diagnostic } from '../src/graph/types.js'
import type { SourceMapInput } from './compiler/index.js'
import { composeSourceMaps, type SourceMap } from './compiler/sourcemap.js'
import { takeInlineSourceMap, withInlineSourceMap } from './register/inline-source-map.js'
import { fileFilter, mentionsPlait, PlaitBuildError, transformFile } from './transform.js'
import type { PlaitOptions } from './types.js'

/** The tsconfig plugin entry: ts-patch's own keys plus plait's options (`root` relative to the tsconfig). */
export interface PlaitTscConfig extends PlaitOptions {
  transform?: string
  transformProgram?: boolean
}

/** What ts-patch passes a program transformer as its fourth argument. */
export interface ProgramTransformerExtras {
  ts: typeof TypeScriptModule
}

/** The code TypeScript prints for plait diagnostics (`TS9001`); the plait code (PL1xx, PL2xx) starts the message. */
export const tscDiagnosticCode = 9001

interface CompiledFile {
  code: string
  map: SourceMapInput
}

/**
 * The program transformer ts-patch calls from `ts.createProgram()`: returns the Program tsc goes
 * on with, whose diagnostics include plait's (a PL1xx error fails the compile) and whose emit
 * writes the compiled JavaScript.
 *
 * @example
 * ```ts
 * // what ts-patch does with { "transform": "plait/tsc", "transformProgram": true }
 * import plaitTransformer from 'plait/tsc'
 * const program = plaitTransformer(ts.createProgram(rootNames, options), host, { strict: true }, { ts })
 * program.emit()
 * ```
 */
export default function plaitTransformer(program: TS.Program, host: TS.CompilerHost | undefined, config: PlaitTscConfig = {}, extras?: ProgramTransformerExtras): TS.Program {
  const ts = extras?.ts as typeof TS | undefined
  if (!ts) throw new Error('Expected `extras.ts` to be the TypeScript instance (plait/tsc is loaded by ts-patch with `"transformProgram": true`)')
  const options = program.getCompilerOptions()
  const projectDir = typeof options.configFilePath === 'string' ? dirname(options.configFilePath) : process.cwd()
  const root = config.root === undefined ? projectDir : resolve(projectDir, config.root)
  const plaitOptions: PlaitOptions = { include: config.include, exclude: config.exclude, strict: config.strict, graphs: config.graphs, root }
  const wanted = fileFilter(plaitOptions, root)

  const compiled = new Map<string, CompiledFile>()
  const diagnostics: TS.Diagnostic[] = []
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile || program.isSourceFileFromExternalLibrary(sourceFile)) continue
    if (!wanted(sourceFile.fileName) || !mentionsPlait(sourceFile.text)) continue
    try {
      const output = transformFile({ code: sourceFile.text, id: sourceFile.fileName }, plaitOptions)
      for (const warning of output.diagnostics) diagnostics.push(toTsDiagnostic(ts, warning, sourceFile))
      if (output.code !== undefined && output.map) compiled.set(sourceFile.fileName, { code: output.code, map: output.map })
    } catch (error) {
      if (!(error instanceof PlaitBuildError)) throw error
      for (const diagnostic of error.diagnostics) diagnostics.push(toTsDiagnostic(ts, diagnostic, sourceFile))
    }
  }
  if (compiled.size === 0 && diagnostics.length === 0) return program

  const emitProgram = compiled.size === 0 ? undefined : compiledProgram(ts, program, host, compiled)
  const diagnosticsOf = (sourceFile?: TS.SourceFile) => diagnostics.filter((diagnostic) => sourceFile === undefined || diagnostic.file?.fileName === sourceFile.fileName)

  const emit: TS.Program['emit'] = (targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, customTransformers, ...rest) => {
    if (options.noEmitOnError && [...ts.getPreEmitDiagnostics(program), ...diagnostics].some((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)) {
      return { emitSkipped: true, diagnostics: [] }
    }
    if (!emitProgram || emitOnlyDtsFiles || options.emitDeclarationOnly) return program.emit(targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, customTransformers, ...rest)
    const target = targetSourceFile && emitProgram.getSourceFile(targetSourceFile.fileName)
    const write = composingWriter(ts, program, host, compiled, writeFile)
    const emitScript = (emitProgram as { originalEmit?: TS.Program['emit'] }).originalEmit ?? emitProgram.emit
    const script = emitScript(target, write, cancellationToken, false, customTransformers)
    if (!(options.declaration || options.composite)) return script
    const declarations = program.emit(targetSourceFile, writeFile, cancellationToken, true, customTransformers, ...rest)
    return {
      emitSkipped: script.emitSkipped && declarations.emitSkipped,
      diagnostics: [...script.diagnostics, ...declarations.diagnostics],
      emittedFiles: script.emittedFiles || declarations.emittedFiles ? [...(script.emittedFiles ?? []), ...(declarations.emittedFiles ?? [])] : undefined,
    }
  }
  return {
    ...program,
    emit,
    getSemanticDiagnostics: (sourceFile, cancellationToken) => [...program.getSemanticDiagnostics(sourceFile, cancellationToken), ...diagnosticsOf(sourceFile)],
  }
}

/** The Program of the compiled texts (other files are shared with `program`), emitting JavaScript only. */
function compiledProgram(ts: typeof TS, program: TS.Program, host: TS.CompilerHost | undefined, compiled: ReadonlyMap<string, CompiledFile>): TS.Program {
  const options: TS.CompilerOptions = { ...program.getCompilerOptions(), noEmitOnError: false, declaration: false, declarationMap: false, composite: false, incremental: false, tsBuildInfoFile: undefined }
  const base = host ?? ts.createCompilerHost(options)
  const compiledHost: TS.CompilerHost = {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      const file = compiled.get(fileName)
      if (file) return ts.createSourceFile(fileName, file.code, languageVersion, true)
      return program.getSourceFile(fileName) ?? base.getSourceFile(fileName, languageVersion, onError, shouldCreate)
    },
  }
  return ts.createProgram({ rootNames: program.getRootFileNames(), options, host: compiledHost, projectReferences: program.getProjectReferences() })
}

/** A `writeFile` that composes the source maps of compiled files back to the files as written. */
function composingWriter(ts: typeof TS, program: TS.Program, host: TS.CompilerHost | undefined, compiled: ReadonlyMap<string, CompiledFile>, writeFile: TS.WriteFileCallback | undefined): TS.WriteFileCallback {
  const write: TS.WriteFileCallback = writeFile ?? host?.writeFile ?? ts.sys.writeFile
  return (fileName, text, writeByteOrderMark, onError, sourceFiles, data) => {
    const source = sourceFiles?.length === 1 ? sourceFiles[0] : undefined
    const file = source && compiled.get(source.fileName)
    if (file && fileName.endsWith('.map')) {
      text = JSON.stringify(composeBack(JSON.parse(text) as SourceMap, file, program.getSourceFile(source.fileName)?.text))
    } else if (file && /\.[cm]?js$/.test(fileName)) {
      const { code, map } = takeInlineSourceMap(text)
      if (map) text = withInlineSourceMap(code, composeBack(map as SourceMap, file, program.getSourceFile(source.fileName)?.text)).replace(/\n$/, '')
    }
    write(fileName, text, writeByteOrderMark, onError, sourceFiles, data)
  }
}

/** `map` (emitted JavaScript -> compiled text) composed with plait's (compiled text -> original), keeping tsc's paths. */
function composeBack(map: SourceMap, file: CompiledFile, original: string | undefined): SourceMap {
  const composed = composeSourceMaps(map, file.map)
  const result: SourceMap & { sourceRoot?: string } = { ...map, mappings: composed.mappings, names: composed.names, sources: map.sources.slice(0, 1) }
  if (map.sourcesContent) result.sourcesContent = [original ?? null]
  return result
}

function toTsDiagnostic(ts: typeof TS, diagnostic: Diagnostic, sourceFile: TS.SourceFile): TS.Diagnostic {
  const where = diagnostic.location
  let start: number | undefined
  if (where && where.line >= 1) {
    const lines = sourceFile.getLineStarts()
    const lineStart = lines[Math.min(where.line, lines.length) - 1] ?? 0
    start = Math.min(lineStart + Math.max(where.column - 1, 0), sourceFile.text.length)
  }
  return {
    category: diagnostic.severity === 'error' ? ts.DiagnosticCategory.Error : ts.DiagnosticCategory.Warning,
    code: tscDiagnosticCode,
    file: sourceFile,
    start,
    length: start === undefined ? undefined : 1,
    messageText: [`${diagnostic.code}: ${diagnostic.text}`, ...[diagnostic.suggestion && `fix: ${diagnostic.suggestion}`, ...(diagnostic.notes ?? []).map((note) => `note: ${note}`), diagnostic.docs && `see: ${diagnostic.docs}`].filter(Boolean).map((line) => `  ${line}`)].join('\n'),
  }
}
