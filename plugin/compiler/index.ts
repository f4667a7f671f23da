/**
 * The plait compiler core: a pure function from source text to generated code, a source map,
 * one graph per compiled forward() and diagnostics. Build time only: nothing loaded at run time
 * imports it (or the TypeScript compiler it uses).
 *
 * Passes, each in its own file and testable on its own:
 * parse -> find candidates -> scope -> pendingness -> classify and validate -> lower -> emit
 * graph -> finish (the import of `enter`, the table of source locations, the source map).
 */
import type { Diagnostic, Graph } from '../../src/graph/types.js'
import { findCandidates, type FieldInfo } from './candidates.js'
import { makeDiagnostic } from './diagnostics.js'
import { classify } from './classify.js'
import { compilerVersion, emitGraph } from './graph.js'
import { graphFilePath } from './outputs.js'
import { flattenComposites, type ExternalGraphs } from './flatten.js'
import { LocationTable, lower, type Lowered } from './lower.js'
import { identifiersOf, TempNames } from './names.js'
import { lineColumn, lineText, parse, type CompileOptions } from './parse.js'
import { computePending } from './pending.js'
import { analyzeScope } from './scope.js'
import { composeSourceMaps, type SourceMap } from './sourcemap.js'
import { desugar } from './desugar.js'
import { RevertibleEdits } from './edits.js'

export type { CompileOptions, SourceMapInput } from './parse.js'
export type { SourceMap } from './sourcemap.js'
export { catalogue, diagnosticsMarkdown, makeDiagnostic, type DiagnosticCode } from './diagnostics.js'
export { compilerVersion } from './graph.js'
export { nodeResolver } from './resolve.js'
export { graphFiles } from './outputs.js'

/** What `compile()` gives back. */
export interface CompileResult {
  /** The generated code (the input itself when nothing was compiled). */
  code: string
  /** Source map of the edits (composed with `options.inputMap`); `null` when nothing changed, or with `sourceMap: false`. */
  map: SourceMap | null
  /** One graph per compiled forward(), in source order. */
  graphs: Graph[]
  /** Errors (PL1xx) and warnings (PL2xx), in source order. */
  diagnostics: Diagnostic[]
}

/**
 * Compiles every module class of one file: each `forward()` becomes code that builds its graph
 * through `enter(this)` from 'plait/compiled', edited in place so that every statement keeps its
 * line. A forward() with an error (PL1xx) or a tracer fallback (PL2xx) is left unchanged.
 *
 * @example
 * ```ts
 * import { compile } from './plugin/compiler/index.js'
 * const { code, map, graphs, diagnostics } = compile(source, '/repo/src/app.ts', { root: '/repo' })
 * for (const diagnostic of diagnostics) console.error(formatDiagnostic(diagnostic))
 * ```
 */
export function compile(source: string, fileId: string, options: CompileOptions = {}): CompileResult {
  // Cheap test before parsing: a class to compile has a method named `forward` (or one written
  // with escapes, `forw\u0061rd`, which has a backslash).
  if (!source.includes('forward') && !source.includes('\\')) return { code: source, map: null, graphs: [], diagnostics: [] }
  const parsed = parse(source, fileId, options)
  // A file that does not parse is left to the host, which reports its syntax errors.
  if ((parsed.sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics?.length) return { code: source, map: null, graphs: [], diagnostics: [] }
  const { imports, candidates, sourceOf } = findCandidates(parsed, options.resolve)
  const diagnostics: Diagnostic[] = []
  const graphs: Graph[] = []
  const active = candidates.filter((candidate) => !candidate.optedOut)
  if (candidates.length === 0) return { code: source, map: null, graphs, diagnostics }

  const edits = new RevertibleEdits(source)
  const temps = new TempNames(identifiersOf(parsed.sf))
  const scopeName = temps.reserve('$', '$p', '$plait')
  const enterName = temps.reserve('enter', '$enter')
  const markName = temps.reserve('$mark', '$plaitMark')
  const locations = new LocationTable(temps.reserve('$L', '$plaitL'), parsed)
  const classes = new Map<string, Map<string, FieldInfo>>(candidates.map((candidate) => [candidate.name, candidate.fields]))
  let compiled = 0
  // The marker each handled class gets, so the runtime knows it compiled or why it fell back.
  // Its shape is `CompilationMark` in runtime/compilation.ts.
  const marks: Array<{ candidate: (typeof candidates)[number]; details: { file?: string; graphFile?: string; fallback?: Diagnostic; optedOut?: true } }> = candidates
    .filter((candidate) => candidate.optedOut)
    .map((candidate) => ({ candidate, details: { optedOut: true } }))
  const loweredByClass = new Map<string, { candidate: (typeof candidates)[number]; lowered: Lowered }>()
  const analyses = active.map((candidate) => {
    const scope = analyzeScope(candidate.forward)
    const facts = computePending(candidate, imports, scope)
    return { candidate, facts, classified: classify(parsed, facts, options.strict === true) }
  })
  // A switch on a pending value that means an if chain, a try whose blocks end in return:
  // rewrite them, then compile the result.
  const switches = analyses.flatMap(({ classified }) => classified.switches)
  const tryReturns = analyses.flatMap(({ classified }) => classified.tryReturns)
  if (switches.length > 0 || tryReturns.length > 0) {
    const desugared = desugar(source, parsed.sf, { switches, tryReturns }, (prefix) => temps.next(prefix), parsed.fileId)
    const inner = desugared.map as unknown as SourceMap
    const inputMap = options.sourceMap === false ? undefined : options.inputMap ? composeSourceMaps(inner, options.inputMap) : inner
    return compile(desugared.code, fileId, { ...options, inputMap, sourceHashOf: options.sourceHashOf ?? source })
  }
  for (const { candidate, facts, classified } of analyses) {
    diagnostics.push(...classified.diagnostics)
    if (classified.diagnostics.some((diagnostic) => diagnostic.severity === 'error')) continue
    if (classified.fallback) {
      marks.push({ candidate, details: { fallback: withoutLineText(classified.diagnostics.find((diagnostic) => diagnostic.code.startsWith('PL2'))!) } })
      continue
    }
    // Should the compiler fail, the method is left as it was, for the tracer.
    const checkpoint = edits.checkpoint()
    let lowered
    try {
      lowered = lower({ parsed, ms: edits, facts, plans: classified.plans, temps, locations, scopeName, enterName, dropAsync: classified.keptAwaits.length === 0 })
    } catch (error) {
      edits.revert(checkpoint)
      const { line, column } = lineColumn(parsed, candidate.forward.getStart(parsed.sf))
      const diagnostic = makeDiagnostic('PL204', { file: parsed.file, line, column, lineText: lineText(parsed, line) }, { what: String((error as Error).message ?? error).split('\n')[0]! }, options.strict === true)
      diagnostics.push(diagnostic)
      if (diagnostic.severity === 'warning') marks.push({ candidate, details: { fallback: withoutLineText(diagnostic) } })
      continue
    }
    loweredByClass.set(candidate.name, { candidate, lowered })
    marks.push({ candidate, details: { file: parsed.file, graphFile: graphFilePath(parsed.file, candidate.name) } })
    compiled++
  }
  // Graphs, with same-file composite children inlined.
  const byClass = new Map([...loweredByClass].map(([name, entry]) => [name, entry.lowered]))
  const candidatesByName = new Map(candidates.map((candidate) => [candidate.name, candidate]))
  for (const { candidate, lowered } of loweredByClass.values()) {
    const external = externalGraphs(sourceOf, options)
    const flat = flattenComposites(candidate, lowered, byClass, candidatesByName, external)
    graphs.push(emitGraph(parsed, candidate, { ...lowered, ...flat }, [], classes, options.compilerVersion ?? compilerVersion, options.sourceHashOf, external))
  }
  if (marks.length === 0) return { code: source, map: null, graphs, diagnostics }

  // Finish: the import and the location table go on the first line, so no line moves; each
  // class's marker goes right after the brace that opens its body.
  const ms = edits.ms
  for (const { candidate, details } of marks) ms.appendLeft(candidate.node.members.pos, ` static { ${markName}(this, ${JSON.stringify(details)}) }`)
  const shebang = source.startsWith('#!') ? source.indexOf('\n') + 1 : 0
  const imported = [enterName === 'enter' ? 'enter' : `enter as ${enterName}`, `mark as ${markName}`]
  // The table of source locations: the file once, then a line and a column per site.
  let table = ''
  if (compiled > 0) {
    const sitesName = temps.reserve('$sites', '$plaitSites')
    imported.push(`sites as ${sitesName}`)
    table = ` const ${locations.name} = ${sitesName}(${JSON.stringify(parsed.file)}, [${locations.sites.map((site) => `${site.line}, ${site.column}`).join(', ')}]);`
  }
  ms.prependLeft(shebang, `import { ${imported.join(', ')} } from 'plait/compiled';${table}`)
  const code = ms.toString()
  if (options.sourceMap === false) return { code, map: null, graphs, diagnostics }
  let map = ms.generateMap({ hires: 'boundary', source: parsed.fileId, file: parsed.fileId, includeContent: true }) as unknown as SourceMap
  map = { version: 3, file: map.file, sources: map.sources, sourcesContent: map.sourcesContent, names: map.names, mappings: map.mappings }
  if (options.inputMap) map = composeSourceMaps(map, options.inputMap)
  return { code, map, graphs, diagnostics }
}

/** A diagnostic as the runtime keeps it in a class marker: without the source line. */
function withoutLineText(diagnostic: Diagnostic): Diagnostic {
  if (!diagnostic.location?.lineText) return diagnostic
  const { lineText: _, ...location } = diagnostic.location
  return { ...diagnostic, location }
}

/** Graphs of files compiled for their module classes, by file id and text (the same text gives the same graphs). */
const importedGraphs = new Map<string, Graph[]>()
const importedGraphsLimit = 500

/**
 * The compiled graph of a child module class imported from another file: that file is compiled
 * with the same options (once per text; a file that imports itself back sees no graph there).
 */
function externalGraphs(sourceOf: (id: string) => string | undefined, options: CompileOptions): ExternalGraphs {
  return (field) => {
    const from = field.from
    const source = from === undefined ? undefined : sourceOf(from.id)
    if (from === undefined || source === undefined) return undefined
    const key = `${from.id}\0${source}`
    let graphs = importedGraphs.get(key)
    if (graphs === undefined) {
      if (importedGraphs.size >= importedGraphsLimit) importedGraphs.delete(importedGraphs.keys().next().value!)
      // While the file compiles, an import cycle back to it finds no graph instead of recursing.
      importedGraphs.set(key, [])
      try {
        graphs = compile(source, from.id, { ...options, inputMap: undefined, sourceHashOf: undefined }).graphs
      } catch (error) {
        importedGraphs.delete(key)
        throw error
      }
      importedGraphs.set(key, graphs)
    }
    return graphs.find((graph) => graph.name === from.name)
  }
}
