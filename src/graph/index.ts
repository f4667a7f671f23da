/**
 * The graph IR: types, validation, deterministic JSON, renderings (Mermaid, DOT), the summary and
 * diagnostic text. Depends on nothing else in plait.
 *
 * @example
 * ```ts
 * import { graphToJSON, toMermaid, summarizeGraph, formatSummary, validateGraph } from './graph/index.js'
 * const graph = validateGraph(JSON.parse(text))
 * console.log(formatSummary(summarizeGraph(graph)))
 * ```
 */

export type {
  Diagnostic,
  Graph,
  GraphModule,
  GraphNode,
  GraphParameter,
  GraphSummary,
  JsonValue,
  NodeKind,
  OutputShape,
  SourceLocation,
} from './types.js'
export { graphToJSON, stableStringify } from './json.js'
export { GraphValidationError, validateGraph } from './validate.js'
export { toMermaid } from './mermaid.js'
export { toDot } from './dot.js'
export { formatSummary, summarizeGraph } from './summary.js'
export { formatDiagnostic } from './diagnostic.js'
