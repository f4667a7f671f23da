/**
 * The work of the Node hook on one loaded module, shared by both hook shapes (`module.register`
 * on Node 20, `module.registerHooks` on newer Node): compile what the loader before it produced,
 * or load a TypeScript file that no loader could.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { formatDiagnostic } from '../../src/graph/diagnostic.js'
import { fileFilter, mentionsPlait, PlaitBuildError, transformFile } from '../transform.js'
import { takeInlineSourceMap, withInlineSourceMap } from './inline-source-map.js'
import { hostOptions, type RegisterOptions } from './options.js'
import { formatOf, isTypeScriptFile, stripTypes } from './strip-types.js'
import type { SourceMapInput } from '../compiler/index.js'
import { composeSourceMaps, type SourceMap } from '../compiler/sourcemap.js'
import type { TransformOutput } from '../types.js'

/** What a `load` hook returns (the fields plait reads and writes). */
/** What Node passes a `resolve` hook as its context (the part plait reads). */
export interface ResolveContext {
  parentURL?: string
  conditions?: string[]
}

/** What Node passes a `load` hook as its context (the part plait reads). */
export interface LoadContext {
  format?: string | null
  conditions?: string[]
}

export interface LoadResult {
  format?: string | null
  source?: string | ArrayBuffer | ArrayBufferView | null
  shortCircuit?: boolean
}

/** The two things the hooks do with a module. */
export interface ModuleCompiler {
  /** Compiles a module another loader (Node itself, tsx, type stripping) has loaded; anything else is returned as it came. */
  compileLoaded(url: string, loaded: LoadResult): LoadResult
  /** Loads a TypeScript file that no loader could: strips its types, then compiles it. */
  loadTypeScript(url: string): LoadResult
}

/** Formats whose source is an ES module plait can compile (`module-typescript`: Node's own type stripping, which runs after). */
const compilable = new Set(['module', 'module-typescript'])

/**
 * The hook's compiler for one process. `warn` receives each formatted PL2xx warning once.
 *
 * @example
 * ```ts
 * const compiler = moduleCompiler(registerOptions(), (text) => process.stderr.write(text))
 * const loaded = await nextLoad(url, context)
 * return compiler.compileLoaded(url, loaded)
 * ```
 */
export function moduleCompiler(options: RegisterOptions, warn: (text: string) => void): ModuleCompiler {
  const wanted = fileFilter(hostOptions(options), options.root)
  const warned = new Set<string>()

  function transformAndWarn(file: string, code: string, inputMap?: SourceMapInput): TransformOutput {
    let output: TransformOutput
    try {
      output = transformFile({ code, id: file, inputMap }, hostOptions(options))
    } catch (error) {
      throw error instanceof PlaitBuildError ? importFailure(error) : error
    }
    for (const diagnostic of output.diagnostics) {
      if (diagnostic.severity !== 'warning') continue
      const formatted = formatDiagnostic(diagnostic)
      if (warned.has(formatted)) continue
      warned.add(formatted)
      warn(`${formatted}\n`)
    }
    return output
  }

  /** Compiles JavaScript (or TypeScript Node strips afterwards), composing the map it came with. */
  function compileText(file: string, text: string): string | undefined {
    const { code, map } = takeInlineSourceMap(text)
    const output = transformAndWarn(file, code, map)
    return output.code === undefined || !output.map ? undefined : withInlineSourceMap(output.code, output.map)
  }

  /** Compiles the original TypeScript, then strips its types: graphs and locations are those of the source. */
  function compileTypeScript(file: string, original: string): string | undefined {
    const output = transformAndWarn(file, original)
    if (output.code === undefined || !output.map) return undefined
    const stripped = stripTypes(output.code, file, 'module')
    return withInlineSourceMap(stripped.code, composeSourceMaps(stripped.map as SourceMap, output.map))
  }

  return {
    compileLoaded(url, loaded) {
      if (!url.startsWith('file:') || !compilable.has(loaded.format ?? '') || loaded.source == null) return loaded
      const file = fileURLToPath(url)
      if (!wanted(file)) return loaded
      if (isTypeScriptFile(file) && loaded.format === 'module') {
        // Another loader (tsx) already stripped the types, and may have moved every line: compile
        // the file as written instead, so graphs, locations and hashes match the bundler plugins.
        const original = readFileSync(file, 'utf8')
        return mentionsPlait(original) ? withSource(loaded, compileTypeScript(file, original)) : loaded
      }
      const text = sourceText(loaded.source)
      return mentionsPlait(text) ? withSource(loaded, compileText(file, text)) : loaded
    },
    loadTypeScript(url) {
      const file = fileURLToPath(url)
      const format = formatOf(file)
      const original = readFileSync(file, 'utf8')
      const compiled = format === 'module' && wanted(file) && mentionsPlait(original) ? compileTypeScript(file, original) : undefined
      if (compiled !== undefined) return { format, source: compiled, shortCircuit: true }
      const stripped = stripTypes(original, file, format)
      return { format, source: withInlineSourceMap(stripped.code, stripped.map), shortCircuit: true }
    },
  }
}

/**
 * The error that fails the import: the formatted diagnostics and nothing else (the hook's own
 * stack and the diagnostic objects would only bury them in Node's report).
 */
function importFailure(error: PlaitBuildError): Error {
  const failure = new Error(error.message)
  failure.name = error.name
  failure.stack = `${error.name}: ${error.message}`
  return failure
}

function withSource(loaded: LoadResult, source: string | undefined): LoadResult {
  return source === undefined ? loaded : { ...loaded, source }
}

function sourceText(source: string | ArrayBuffer | ArrayBufferView): string {
  if (typeof source === 'string') return source
  const bytes = ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source)
  return new TextDecoder().decode(bytes)
}
