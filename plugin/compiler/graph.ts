/**
 * Pass 8, emit graph: the graph IR v1 of one compiled forward(), with `source: 'compiler'`,
 * static ids and locations, the module tree and parameters as the class's fields show them, the
 * file, a hash of the source and the compiler version. `graphToJSON` gives its deterministic text.
 */
import { createHash } from 'node:crypto'
import type { Diagnostic, Graph, GraphModule, GraphParameter } from '../../src/graph/types.js'
import type { Candidate, FieldInfo } from './candidates.js'
import type { ExternalGraphs } from './flatten.js'
import type { Lowered } from './lower.js'
import type { Parsed } from './parse.js'

/** The compiler's version, written into every graph (bump it when generated code or graphs change). */
export const compilerVersion = '0.1.0'

/**
 * SHA-256 of a text, in hex.
 *
 * @example
 * ```ts
 * sourceHash('abc').length // 64
 * ```
 */
export function sourceHash(source: string): string {
  return createHash('sha256').update(source).digest('hex')
}

/**
 * The graph of a compiled forward().
 *
 * @example
 * ```ts
 * const graph = emitGraph(parsed, candidate, lowered, [], classFields)
 * graphToJSON(graph) // the text of .plait/ExtractAndCompare.graph.json
 * ```
 */
export function emitGraph(
  parsed: Parsed,
  candidate: Candidate,
  lowered: Lowered,
  diagnostics: Diagnostic[],
  classes: Map<string, Map<string, FieldInfo>>,
  version = compilerVersion,
  original = parsed.source,
  external: ExternalGraphs = () => undefined,
): Graph {
  const modules: GraphModule[] = [{ path: '', type: candidate.name }]
  const parameters: GraphParameter[] = []
  // `within` holds the field maps on the current path, so that a class that contains itself stops.
  const walk = (fields: Map<string, FieldInfo>, prefix: string, within: Set<Map<string, FieldInfo>>) => {
    if (within.has(fields)) return
    const inner = new Set(within).add(fields)
    for (const field of fields.values()) {
      const path = prefix === '' ? field.name : `${prefix}.${field.name}`
      if (field.kind === 'parameter') parameters.push({ path, description: field.description ?? '', requiresGrad: true })
      if (field.kind !== 'module' || field.type === 'Array' || field.type === 'Object') continue
      const module: GraphModule = { path, type: field.type ?? 'Module' }
      if (field.alias !== undefined) module.alias = field.alias
      modules.push(module)
      // A child class from another file: its own graph lists its modules and parameters.
      const imported = field.from === undefined ? undefined : external(field)
      if (imported) {
        for (const child of imported.modules) if (child.path !== '') modules.push({ ...child, path: `${path}.${child.path}` })
        for (const parameter of imported.parameters) parameters.push({ ...parameter, path: `${path}.${parameter.path}` })
        continue
      }
      const local = field.type === undefined || field.from !== undefined ? undefined : classes.get(field.type)
      if (local) walk(local, path, inner)
    }
  }
  walk(candidate.fields, '', new Set())
  return {
    version: 1,
    name: candidate.name,
    source: 'compiler',
    file: parsed.file,
    sourceHash: sourceHash(original),
    compilerVersion: version,
    inputs: lowered.inputs,
    nodes: lowered.nodes,
    output: lowered.output,
    modules,
    parameters,
    diagnostics,
  }
}
