/**
 * Checks that an unknown value (a parsed graph file, what a tracer or compiler produced) is a
 * well-formed graph: the shape of every field, and the invariants the renderers and the runtime
 * rely on (unique ids, inputs that point backwards, kind-specific fields).
 */

import { NODE_KINDS } from './kinds.js'
import type { Graph, NodeKind } from './types.js'

/** How many problems the error message lists; `problems` always holds them all. */
const MESSAGE_LIMIT = 20

const KINDS: ReadonlySet<string> = new Set(NODE_KINDS)

/**
 * Thrown by {@link validateGraph}: `problems` lists every problem found, one sentence each, and
 * the message lists them too (the first 20).
 *
 * @example
 * ```ts
 * try {
 *   validateGraph(JSON.parse(text))
 * } catch (error) {
 *   if (error instanceof GraphValidationError) console.error(error.problems.join('\n'))
 *   else throw error
 * }
 * ```
 */
export class GraphValidationError extends Error {
  override readonly name = 'GraphValidationError'
  /** Every problem found, e.g. "Expected `nodes[3].inputs[0]` to reference an earlier node, got `x` (no such node)". */
  readonly problems: string[]

  constructor(problems: string[], graphName?: string) {
    super(formatMessage(problems, graphName))
    this.problems = problems
  }
}

function formatMessage(problems: string[], graphName: string | undefined): string {
  const subject = graphName === undefined ? 'Invalid graph' : `Invalid graph \`${graphName}\``
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
  const listed = problems.slice(0, MESSAGE_LIMIT).map((problem) => `\n- ${problem}`)
  const rest = problems.length > MESSAGE_LIMIT ? [`\n- ... and ${problems.length - MESSAGE_LIMIT} more`] : []
  return `${subject} (${count}):${listed.join('')}${rest.join('')}`
}

type UnknownRecord = Record<string, unknown>

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Describes a value for a message: strings in backticks, other values by what they are. */
function show(value: unknown): string {
  if (typeof value === 'string') {
    if (value === '') return 'an empty string'
    return `\`${value.length > 60 ? `${value.slice(0, 57)}...` : value}\``
  }
  if (value === undefined) return 'nothing'
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

/** `output.object.summary`, or `output.object["a b"]` for a key that is not an identifier. */
function member(path: string, key: string): string {
  if (path === '') return key
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 1000) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1))
  if (isRecord(value)) return Object.values(value).every((item) => isJsonValue(item, depth + 1))
  return false
}

/** Collects problems; each check adds at most one sentence. */
class Checker {
  readonly problems: string[] = []

  expect(path: string, what: string, got: unknown, detail = ''): void {
    this.problems.push(`Expected \`${path}\` to ${what}, got ${show(got)}${detail}`)
  }

  string(record: UnknownRecord, key: string, path: string, optional = false): void {
    const value = record[key]
    if (optional && value === undefined) return
    if (typeof value !== 'string') this.expect(member(path, key), 'be a string', value)
  }

  nonEmptyString(record: UnknownRecord, key: string, path: string, context = ''): boolean {
    const value = record[key]
    if (typeof value === 'string' && value !== '') return true
    this.expect(member(path, key), `be a non-empty string${context}`, value)
    return false
  }

  stringArray(value: unknown, path: string): value is string[] {
    if (!Array.isArray(value)) {
      this.expect(path, 'be an array of strings', value)
      return false
    }
    let ok = true
    value.forEach((item, index) => {
      if (typeof item !== 'string') {
        this.expect(`${path}[${index}]`, 'be a string', item)
        ok = false
      }
    })
    return ok
  }

  array(record: UnknownRecord, key: string, path: string): unknown[] {
    const value = record[key]
    if (Array.isArray(value)) return value
    this.expect(member(path, key), 'be an array', value)
    return []
  }

  location(value: unknown, path: string): void {
    if (value === undefined) return
    if (!isRecord(value)) {
      this.expect(path, 'be a source location ({ file, line, column })', value)
      return
    }
    this.string(value, 'file', path)
    for (const key of ['line', 'column']) {
      const number = value[key]
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
        this.expect(member(path, key), 'be a positive integer', number)
      }
    }
    this.string(value, 'lineText', path, true)
  }
}

/**
 * Checks the shape and the invariants of a graph and returns it typed; throws a
 * {@link GraphValidationError} listing every problem otherwise. Invariants: `version` is 1; node
 * ids are non-empty and unique; every input of a node references a node that comes earlier in
 * `nodes` (so the graph is acyclic and `nodes` is in topological order); the graph's `inputs`
 * are nodes of kind `input`; `call` nodes have an `alias`; a `render` node's `template` has one
 * part more than it has inputs; `select` nodes have a `key`; the output references existing nodes.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const graph = validateGraph(JSON.parse(readFileSync('.plait/Pipeline.graph.json', 'utf8')))
 * // throws GraphValidationError: Invalid graph `Pipeline` (1 problem):
 * // - Expected `nodes[3].inputs[0]` to reference an earlier node, got `x` (no such node)
 * ```
 */
export function validateGraph(graph: unknown): Graph {
  const check = new Checker()
  if (!isRecord(graph)) {
    check.expect('graph', 'be an object', graph)
    throw new GraphValidationError(check.problems)
  }

  if (graph.version !== 1) check.expect('version', 'be 1', graph.version)
  check.string(graph, 'name', '')
  if (graph.source !== 'tracer' && graph.source !== 'compiler') {
    check.expect('source', 'be `tracer` or `compiler`', graph.source)
  }

  // Nodes: the index of the first node with each id, then each node on its own.
  const indexOf = new Map<string, number>()
  const kindOf = new Map<string, unknown>()
  const nodes = check.array(graph, 'nodes', '')
  nodes.forEach((node, index) => {
    if (!isRecord(node) || typeof node.id !== 'string' || node.id === '') return
    const first = indexOf.get(node.id)
    if (first === undefined) {
      indexOf.set(node.id, index)
      kindOf.set(node.id, node.kind)
    }
  })
  nodes.forEach((node, index) => {
    const path = `nodes[${index}]`
    if (!isRecord(node)) return check.expect(path, 'be a node object', node)
    checkNode(check, node, path, index, indexOf)
  })

  // The graph's inputs: nodes of kind `input`.
  const inputs = graph.inputs
  if (check.stringArray(inputs, 'inputs')) {
    inputs.forEach((id, index) => {
      if (!indexOf.has(id)) {
        check.expect(`inputs[${index}]`, 'reference a node of kind `input`', id, ' (no such node)')
      } else if (kindOf.get(id) !== 'input') {
        const kind = kindOf.get(id)
        check.expect(`inputs[${index}]`, 'reference a node of kind `input`', id, ` (a \`${String(kind)}\` node)`)
      }
    })
  }

  checkOutput(check, graph.output, 'output', indexOf, 0)

  check.array(graph, 'modules', '').forEach((module, index) => {
    const path = `modules[${index}]`
    if (!isRecord(module)) return check.expect(path, 'be a module object ({ path, type })', module)
    check.string(module, 'path', path)
    check.string(module, 'type', path)
    check.string(module, 'alias', path, true)
  })

  check.array(graph, 'parameters', '').forEach((parameter, index) => {
    const path = `parameters[${index}]`
    if (!isRecord(parameter)) {
      return check.expect(path, 'be a parameter object ({ path, description, requiresGrad })', parameter)
    }
    check.string(parameter, 'path', path)
    check.string(parameter, 'description', path)
    if (typeof parameter.requiresGrad !== 'boolean') {
      check.expect(`${path}.requiresGrad`, 'be a boolean', parameter.requiresGrad)
    }
  })

  check.array(graph, 'diagnostics', '').forEach((diagnostic, index) => {
    const path = `diagnostics[${index}]`
    if (!isRecord(diagnostic)) return check.expect(path, 'be a diagnostic object ({ code, severity, text })', diagnostic)
    check.nonEmptyString(diagnostic, 'code', path)
    if (diagnostic.severity !== 'error' && diagnostic.severity !== 'warning') {
      check.expect(`${path}.severity`, 'be `error` or `warning`', diagnostic.severity)
    }
    check.string(diagnostic, 'text', path)
    check.location(diagnostic.location, `${path}.location`)
    check.string(diagnostic, 'suggestion', path, true)
    if (diagnostic.notes !== undefined) check.stringArray(diagnostic.notes, `${path}.notes`)
    check.string(diagnostic, 'docs', path, true)
  })

  if (check.problems.length > 0) {
    throw new GraphValidationError(check.problems, typeof graph.name === 'string' ? graph.name : undefined)
  }
  return graph as unknown as Graph
}

/** Checks one node, the `index`-th; `indexOf` maps each id to the index of its first node. */
function checkNode(check: Checker, node: UnknownRecord, path: string, index: number, indexOf: Map<string, number>): void {
  if (check.nonEmptyString(node, 'id', path)) {
    const first = indexOf.get(node.id as string)
    if (first !== undefined && first !== index) {
      check.expect(`${path}.id`, 'be unique', node.id, ` (also \`nodes[${first}].id\`)`)
    }
  }
  const kind = node.kind
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    check.expect(`${path}.kind`, `be one of ${NODE_KINDS.map((name) => `\`${name}\``).join(', ')}`, kind)
  }

  const inputs = node.inputs
  const inputsOk = check.stringArray(inputs, `${path}.inputs`)
  if (inputsOk) {
    inputs.forEach((id, position) => {
      const target = indexOf.get(id)
      if (target !== undefined && target < index) return
      const detail =
        target === undefined
          ? ' (no such node)'
          : target === index
            ? ' (the node itself)'
            : ` (defined later, at \`nodes[${target}]\`)`
      check.expect(`${path}.inputs[${position}]`, 'reference an earlier node', id, detail)
    })
  }

  check.string(node, 'module', path, true)
  check.string(node, 'moduleType', path, true)
  check.string(node, 'label', path, true)
  check.location(node.loc, `${path}.loc`)
  if (kind === 'call') {
    check.nonEmptyString(node, 'alias', path, ' on a `call` node')
  } else {
    check.string(node, 'alias', path, true)
  }

  const template = node.template
  if (kind === 'render') {
    const parts = inputsOk ? inputs.length + 1 : undefined
    if (!Array.isArray(template) || (parts !== undefined && template.length !== parts)) {
      const what = `be an array of ${parts ?? 'one more than `inputs`'} strings (one per gap around the inputs) on a \`render\` node`
      check.expect(`${path}.template`, what, template)
    } else {
      check.stringArray(template, `${path}.template`)
    }
  } else if (template !== undefined) {
    check.stringArray(template, `${path}.template`)
  }

  const key = node.key
  const keyOk = typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))
  if (kind === 'select' && !keyOk) {
    check.expect(`${path}.key`, 'be a string or a number on a `select` node', key)
  } else if (key !== undefined && !keyOk) {
    check.expect(`${path}.key`, 'be a string or a number', key)
  }
}

/** Checks an output shape and that every `{ node }` in it references an existing node. */
function checkOutput(
  check: Checker,
  shape: unknown,
  path: string,
  indexOf: Map<string, number>,
  depth: number,
): void {
  if (depth > 1000) {
    check.expect(path, 'be nested at most 1000 levels deep', shape)
    return
  }
  if (!isRecord(shape)) {
    check.expect(path, 'be an output shape ({ node }, { literal }, { array } or { object })', shape)
    return
  }
  if ('node' in shape) {
    if (typeof shape.node !== 'string' || !indexOf.has(shape.node)) {
      check.expect(`${path}.node`, 'reference a node', shape.node, typeof shape.node === 'string' ? ' (no such node)' : '')
    }
  } else if ('literal' in shape) {
    if (!isJsonValue(shape.literal)) check.expect(`${path}.literal`, 'be a JSON value', shape.literal)
  } else if ('array' in shape) {
    if (!Array.isArray(shape.array)) {
      check.expect(`${path}.array`, 'be an array of output shapes', shape.array)
      return
    }
    shape.array.forEach((item, index) => checkOutput(check, item, `${path}.array[${index}]`, indexOf, depth + 1))
  } else if ('object' in shape) {
    if (!isRecord(shape.object)) {
      check.expect(`${path}.object`, 'be an object of output shapes', shape.object)
      return
    }
    for (const [key, item] of Object.entries(shape.object)) {
      checkOutput(check, item, member(`${path}.object`, key), indexOf, depth + 1)
    }
  } else {
    check.expect(path, 'be an output shape ({ node }, { literal }, { array } or { object })', shape)
  }
}
