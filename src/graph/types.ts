/**
 * The graph IR, version 1: what the runtime tracer records and the compiler emits, and what the
 * renderers draw. This folder depends on nothing else in plait; `runtime/` and `plugin/` both
 * import it.
 *
 * @example
 * ```ts
 * import type { Graph } from 'plait'
 * const graph: Graph = pipeline.module.graph('doc one', 'doc two')
 * console.log(graph.nodes.filter((node) => node.kind === 'call').length)
 * ```
 */

/** The kinds of node a graph holds. */
export type NodeKind =
  /** A value passed to the top-level `forward()`. */
  | 'input'
  /** A call to a leaf module (an LLM call): the only kind that talks to an endpoint. */
  | 'call'
  /** A template literal, `+`, `String()` or `.join` over pending values: `template` holds the text parts. */
  | 'render'
  /** Property or index access on a pending value: `key` holds the property. */
  | 'select'
  /** Any other code that runs on resolved values (a method call, a helper function). */
  | 'derive'
  /** A statement with side effects, kept in program order on the effect chain. */
  | 'effect'
  /** A conditional whose test is pending: only the taken branch runs. */
  | 'cond'
  /** A map over a pending array, expanded when the array resolves. */
  | 'map'
  /** A user `await` that the tracer turned into a graph break. */
  | 'await'

/** Where a node or diagnostic comes from, with a root-relative file path and 1-based line and column. */
export interface SourceLocation {
  file: string
  line: number
  column: number
  /** The text of that line, when known (diagnostics carry it for the excerpt). */
  lineText?: string
}

/** One node of the graph. `inputs` lists the ids of the nodes it reads, in argument order. */
export interface GraphNode {
  id: string
  kind: NodeKind
  inputs: string[]
  /** Dotted path of the module that made the node (`encoder.summarize`); `''` for the root. */
  module?: string
  /** Class name of the called module, for `call` nodes. */
  moduleType?: string
  /** Endpoint alias of a `call` node. */
  alias?: string
  /** Text parts of a `render` node: `template[0] + input0 + template[1] + input1 + ...`. */
  template?: string[]
  /** Property of a `select` node. */
  key?: string | number
  /** Short description of a `derive` node (`.split()`, `helper()`) or the name of an input. */
  label?: string
  loc?: SourceLocation
}

/** The shape of what `forward()` returned, with node references where values were pending. */
export type OutputShape =
  | { node: string }
  | { literal: JsonValue }
  | { array: OutputShape[] }
  | { object: Record<string, OutputShape> }

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** One module of the tree below the root, in `namedModules()` order. */
export interface GraphModule {
  path: string
  type: string
  alias?: string
}

/** One parameter of the tree, in `namedParameters()` order. Values are not part of the graph. */
export interface GraphParameter {
  path: string
  description: string
  requiresGrad: boolean
}

/** A diagnostic as data; `formatDiagnostic` turns it into text. */
export interface Diagnostic {
  /** Stable code from the catalogue, e.g. `PL101`. */
  code: string
  severity: 'error' | 'warning'
  /** One-line reason. */
  text: string
  location?: SourceLocation
  /** A concrete fix. */
  suggestion?: string
  notes?: string[]
  /** Docs anchor, e.g. `docs/diagnostics.md#pl101`. */
  docs?: string
}

/** A whole graph: one per `forward()` of a root module. */
export interface Graph {
  version: 1
  /** Class name of the root module. */
  name: string
  /** Who made it. */
  source: 'tracer' | 'compiler'
  /** Ids of the `input` nodes, in parameter order. */
  inputs: string[]
  /** Nodes in a topological order (every input of a node comes before it). */
  nodes: GraphNode[]
  output: OutputShape
  modules: GraphModule[]
  parameters: GraphParameter[]
  diagnostics: Diagnostic[]
  /** Compiled graphs: the root-relative file of the class. */
  file?: string
  /** Compiled graphs: SHA-256 (hex) of the source text the graph was compiled from. */
  sourceHash?: string
  /** Compiled graphs: version of the compiler that made it. */
  compilerVersion?: string
}

/** Numbers a person wants first about a graph. */
export interface GraphSummary {
  name: string
  nodes: number
  /** LLM calls in all. */
  calls: number
  /** The longest chain of LLM calls, in calls: the least number of sequential round trips. */
  criticalPath: number
  /** The most LLM calls that can be in flight at once (calls at the same call depth). */
  maxWidth: number
  /** LLM calls per endpoint alias, sorted by alias. */
  callsPerAlias: Record<string, number>
  /** Node count per kind, sorted by kind. */
  kinds: Partial<Record<NodeKind, number>>
}
