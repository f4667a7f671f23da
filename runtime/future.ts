/**
 * Futures: what a module call returns inside `forward()`. A future stands for a node's value
 * before it exists. It behaves like the value where the runtime can see the use:
 * - string coercion (`${x}`, `a + x`, `String(x)`, `[x].join()`) gives a placeholder token that
 *   becomes a `render` node when the text reaches a module call or the output;
 * - property access (`x.title`, `x[0]`) gives a `select` future;
 * - a method call (`x.split('\n')`) gives a `derive` future that calls the method on the value;
 * - in a running pipeline, `await x` waits for the value (a graph break), and in a traced graph it
 *   records an `await` node.
 * Arithmetic, iteration, spreading and assignment cannot be seen through and throw a TraceError
 * naming the line of `forward()`.
 */
import { TraceError } from './errors.js'
import { captureCallSite, resolveCallSite } from './location.js'
import { placeholderFor } from './placeholder.js'
import type { Run, RunNode } from './run.js'

const futureTarget = Symbol('plait.future')

/** The target behind a future proxy: a node, or a property of another future not yet needed. */
interface FutureTarget {
  (): void
  run: Run
  node: RunNode | undefined
  parent: FutureTarget | undefined
  key: string | number | undefined
  /** In traced graphs, an awaited future hides `then` so that `await` does not loop. */
  awaited: boolean
  /** Property futures already handed out, so that `x.title` twice is one `select` node. */
  properties: Map<string | number, unknown> | undefined
}

/**
 * Whether `value` is a future (a pending value inside `forward()`).
 *
 * @example
 * ```ts
 * isFuture(this.extractor(doc)) // true inside forward()
 * ```
 */
export function isFuture(value: unknown): boolean {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[futureTarget] !== undefined
}

/**
 * The node behind `value` when it is a future (see {@link materialize}), else `undefined`:
 * `isFuture` and `materialize` with one look through the proxy.
 *
 * @example
 * ```ts
 * const node = nodeOfFuture(argument)
 * if (node !== undefined) inputs.push(node)
 * ```
 */
export function nodeOfFuture(value: unknown): RunNode | undefined {
  if (typeof value !== 'function') return undefined
  const target = (value as unknown as Record<symbol, FutureTarget | undefined>)[futureTarget]
  return target === undefined ? undefined : materializeTarget(target)
}

/** The future standing for `node`'s value. */
export function futureFor(node: RunNode): unknown {
  return (node.proxy ??= makeFuture(makeNodeTarget(node)))
}

/** The node behind a future, adding a `select` node first when the future is a property not yet used. */
export function materialize(future: unknown): RunNode {
  return materializeTarget((future as Record<symbol, FutureTarget>)[futureTarget]!)
}

function materializeTarget(target: FutureTarget): RunNode {
  if (target.node) return target.node
  const parent = materializeTarget(target.parent!)
  if (target.awaited) {
    target.node = target.run.addNode({ kind: 'await', base: 'await', inputs: [parent], site: captureCallSite(), execute: ([value]) => value })
    return target.node
  }
  const key = target.key!
  target.node = target.run.addNode({
    kind: 'select',
    base: 'select',
    key,
    inputs: [parent],
    site: captureCallSite(),
    execute: ([value]) => (value as Record<string | number, unknown>)[key],
  })
  return target.node
}

/**
 * In a traced graph, the value an async `forward()` returned: an awaited future that nothing used
 * stands for the future itself.
 */
export function unwrapAwait(value: unknown): unknown {
  if (!isFuture(value)) return value
  const target = (value as Record<symbol, FutureTarget>)[futureTarget]!
  return target.awaited && !target.node ? makeFuture(target.parent!) : value
}

function makeTarget(run: Run, node: RunNode | undefined, parent: FutureTarget | undefined, key: string | number | undefined): FutureTarget {
  const target = newTargetFunction()
  target.run = run
  target.node = node
  target.parent = parent
  target.key = key
  target.awaited = false
  target.properties = undefined
  return target
}

/**
 * The target of a node's own future: only `run` and `node` are set (a function keeps added
 * properties out of line, and two fit in the first allocation); the fields a property future
 * needs (`parent`, `key`, `awaited`, `properties`) read as undefined until set.
 */
function makeNodeTarget(node: RunNode): FutureTarget {
  const target = newTargetFunction()
  target.run = node.run
  target.node = node
  return target
}

/**
 * A fresh function for a proxy target (a function, so that the proxy can be called). Anonymous
 * and returned from here: transpilers that keep names (esbuild's `keepNames`, which tsx uses)
 * redefine `name` on every named function they create, which also makes adding the target's
 * fields slow.
 */
function newTargetFunction(): FutureTarget {
  return function () {} as unknown as FutureTarget
}

const canonicalIndex = /^(?:0|[1-9]\d*)$/

function fail(reason: string, fix: string): never {
  throw new TraceError(reason, fix, resolveCallSite(captureCallSite()))
}

const handler: ProxyHandler<FutureTarget> = {
  get(target, key) {
    if (key === futureTarget) return target
    if (typeof key === 'symbol') {
      if (key === Symbol.toPrimitive) return toPrimitive(target)
      if (key === Symbol.iterator || key === Symbol.asyncIterator) {
        fail(
          'Iterating a pending value (for..of, spread, array destructuring)',
          'Its length is not known until it resolves: index it (`value[0]`), call `.map()` on it (runs when it resolves), or `await` it first in an async forward().',
        )
      }
      return undefined
    }
    if (key === 'then') return thenFor(target)
    if (key === 'toJSON') {
      fail('JSON.stringify of a pending value', 'Pass the value to a helper that stringifies it (`this.format(value)` runs on the resolved value), or `await` it first.')
    }
    const property = canonicalIndex.test(key) ? Number(key) : key
    const properties = (target.properties ??= new Map())
    let child = properties.get(property)
    if (child === undefined) properties.set(property, (child = makeFuture(makeTarget(target.run, undefined, target, property))))
    return child
  },
  apply(target, _this, args) {
    const run = target.run
    if (!target.node && target.parent) {
      // A method call on a pending value: one `derive` node, no separate selection of the method.
      const receiver = materializeTarget(target.parent)
      const key = target.key!
      const node = run.addCall({ kind: 'derive', base: 'derive', label: `.${String(key)}()` }, [futureFor(receiver), ...args], ([value, ...rest]) => {
        const method = (value as Record<string | number, unknown>)[key]
        if (typeof method !== 'function') throw new TypeError(`Expected \`.${String(key)}\` to be a method of the resolved value, got ${typeof method}.`)
        return (method as (...parameters: unknown[]) => unknown).apply(value, rest)
      })
      return futureFor(node)
    }
    const callee = materializeTarget(target)
    const node = run.addCall({ kind: 'derive', base: 'derive', label: '()' }, [futureFor(callee), ...args], ([value, ...rest]) => {
      if (typeof value !== 'function') throw new TypeError(`Expected the resolved value to be a function, got ${typeof value}.`)
      return (value as (...parameters: unknown[]) => unknown)(...rest)
    })
    return futureFor(node)
  },
  set() {
    return fail('Assigning to a property of a pending value', 'Build a new object instead: `const result = { ...fields, title: value }` with the pending value as a field.')
  },
  defineProperty() {
    return fail('Defining a property on a pending value', 'Build a new object that holds the pending value instead.')
  },
  deleteProperty() {
    return fail('Deleting a property of a pending value', 'Select the properties you need instead.')
  },
  has() {
    return false
  },
  ownKeys() {
    return fail(
      'Listing the keys of a pending value (object spread, Object.keys)',
      'Its keys are not known until it resolves: select the fields you need (`value.title`), or `await` it first in an async forward().',
    )
  },
}

function makeFuture(target: FutureTarget): unknown {
  return new Proxy(target, handler)
}

function toPrimitive(target: FutureTarget) {
  return (hint: 'string' | 'number' | 'default') => {
    if (hint === 'number') {
      fail(
        'Arithmetic or comparison on a pending value',
        'Its value is not known while forward() builds the graph: do the arithmetic in a helper the value is passed to, or `await` it first in an async forward(). Branches on LLM results need the compiler (plait/vite, plait/register).',
      )
    }
    const node = materializeTarget(target)
    return placeholderFor(target.run.number, node.index)
  }
}

function thenFor(target: FutureTarget) {
  const run = target.run
  if (run.mode === 'trace') {
    if (target.awaited) return undefined
    // The `await` node is added when the awaited value is used, so that the `await` an async
    // function applies to its own return value adds nothing (see `unwrapAwait`).
    return (resolve: (value: unknown) => void) => {
      const view = makeTarget(run, undefined, target, undefined)
      view.awaited = true
      resolve(makeFuture(view))
    }
  }
  return (resolve: (value: unknown) => unknown, reject: (error: unknown) => unknown) => {
    materializeTarget(target).whenSettled(resolve, reject)
  }
}
