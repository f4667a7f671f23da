/**
 * What compiled `forward()` code calls. The compiler turns each `forward()` into code that builds
 * the graph over futures with these functions, with stable ids from binding names and source
 * locations known at build time (no stack capture at run time). Every function takes the fast path
 * when nothing is pending: on plain values it computes the result at once, as the original code
 * would.
 *
 * @example
 * ```ts
 * // forward(doc) { const facts = this.extractor(doc); return facts.length > 100 ? this.long(facts) : facts }
 * forward(doc) {
 *   const $ = enter(this)
 *   const facts = $.call(this.extractor, 'facts', [doc], { file: 'app.ts', line: 3, column: 18 })
 *   return $.cond('return', $.derive('test', [facts], (facts) => facts.length > 100, loc), () => $.call(this.long, 'return_2', [facts], loc), () => facts, loc)
 * }
 * ```
 */
import type { NodeKind, SourceLocation } from '../src/graph/types.js'
import { currentRun } from './context.js'
import { PlaitError } from './errors.js'
import { futureFor, isFuture, materialize } from './future.js'
import { holdsPending, renderFunction, renderText, type Run, type RunNode } from './run.js'
import { FailureScope, ScopeFrame, scopeFrameOf, type ScopeFailure } from './attempt.js'
import { executingIn } from './context.js'

/** The hook a module implements to be called inside a run (`module[invoke](run, args, call)`). */
export const invoke: unique symbol = Symbol.for('plait.invoke')

/** How a compiled call site names itself. */
export interface StaticCall {
  id: string
  site: SourceLocation
}

interface Invokable {
  [invoke](run: Run, args: unknown[], call?: StaticCall): unknown
}

/**
 * The scope of one compiled `forward()` invocation: builds nodes in the current run.
 *
 * @example
 * ```ts
 * const $ = enter(this)
 * const facts = $.call(this.extractor, 'facts', [doc], loc)
 * ```
 */
export class Scope {
  constructor(readonly run: Run) {}

  /**
   * A call of a child module; `module` is the child (`this.extractor`). When the compiler could
   * not see whether a field is a module (it comes from a class in another file), it passes the
   * receiver as `self`: a plain method found there instead runs like a helper, on the resolved
   * arguments.
   *
   * @example
   * ```ts
   * const facts = $.call(this.extractor, 'facts', [doc], loc)
   * const other = $.call(this.inherited, 'other', [doc], loc, this)
   * ```
   */
  call(module: unknown, id: string, args: unknown[], site: SourceLocation, self?: unknown): unknown {
    if (typeof (module as Partial<Invokable> | null)?.[invoke] !== 'function') {
      if (self !== undefined && typeof module === 'function') return this.derive(id, args, (...values: never[]) => (module as (...values: unknown[]) => unknown).apply(self, values), site, `${id}()`)
      throw new PlaitError(`Expected \`${id}\` to call a plait module at ${site.file}:${site.line}:${site.column}, got ${typeof module}.`)
    }
    return (module as Invokable)[invoke](this.run, args, { id, site })
  }

  /** A template literal: `parts[0] + values[0] + parts[1] + ...`. */
  render(id: string, parts: string[], values: unknown[], site: SourceLocation): unknown {
    let pending = 0
    for (let index = 0; index < values.length; index++) if (holdsPending(values[index])) pending++
    if (pending === 0) return renderText(parts, values)
    // Fold plain values into the text parts; pending ones become inputs. Arrays at their final
    // size: they stay in the node (V8 gives an empty array room for 17 on its first push).
    const template = new Array<string>(pending + 1)
    const inputs = new Array<RunNode>(pending)
    let slot = 0
    template[0] = parts[0]!
    for (let index = 0; index < values.length; index++) {
      let value = values[index]
      // An array or object holding pending values is text once they resolve.
      if (!isFuture(value) && holdsPending(value)) value = futureFor(this.run.addCall({ kind: 'derive', base: 'collect', label: 'collect', site }, [value], ([resolved]) => resolved))
      if (isFuture(value)) {
        inputs[slot] = materialize(value)
        template[++slot] = parts[index + 1]!
      } else {
        template[slot] += String(value) + parts[index + 1]!
      }
    }
    const node = this.run.addNode({ kind: 'render', base: id, template, inputs, site, execute: renderFunction(template) })
    return futureFor(node)
  }

  /** `value[key]`. */
  select(id: string, value: unknown, key: string | number, site: SourceLocation): unknown {
    if (!isFuture(value)) return (value as Record<string | number, unknown>)[key]
    const node = this.run.addNode({ kind: 'select', base: id, key, inputs: [materialize(value)], site, execute: ([resolved]) => (resolved as Record<string | number, unknown>)[key] })
    return futureFor(node)
  }

  /** Any other code on pending values: `fn` runs on the resolved `inputs` (pending values may sit inside arrays and plain objects). */
  derive(id: string, inputs: unknown[], fn: (...values: never[]) => unknown, site: SourceLocation, label?: string): unknown {
    return this.node('derive', id, inputs, fn, site, label)
  }

  /**
   * A conditional whose test may be pending: only the taken branch runs, and only its LLM calls
   * are made. Branches are functions that build their part of the graph; each gets the resolved
   * test value (so `a || b` is `cond(id, a, (a) => a, () => b, site)`).
   *
   * With `ordered`, the conditional takes a place on the run's effect chain: side effects made
   * by the branch (directly or in modules it calls) come after the side effects made before the
   * conditional, and side effects made after it wait for the branch's own. The compiler sets it
   * when a branch may have side effects.
   *
   * @example
   * ```ts
   * const reply = $.cond('reply', isUrgent, () => $.call(this.escalate, 'escalate', [ticket], loc), () => 'ok', loc)
   * ```
   */
  cond(id: string, test: unknown, whenTrue: (value: never) => unknown, whenFalse: (value: never) => unknown, site: SourceLocation, ordered = false): unknown {
    const choose = (value: unknown) => (value ? (whenTrue as (value: unknown) => unknown)(value) : (whenFalse as (value: unknown) => unknown)(value))
    return ordered ? this.ordered('cond', id, [test], choose, site) : this.node('cond', id, [test], choose, site)
  }

  /**
   * `array.map(fn)`. On an array that is already there (its items may be pending), `fn` runs now
   * for each item; on a pending array the map is a node expanded when the array resolves. With
   * `ordered`, see {@link Scope.cond}.
   *
   * @example
   * ```ts
   * const details = $.map('details', items, (item) => $.call(this.detail, 'detail', [item], loc), loc)
   * ```
   */
  map(id: string, array: unknown, fn: (item: never, index: number) => unknown, site: SourceLocation, ordered = false): unknown {
    if (Array.isArray(array) && !isFuture(array)) return array.map(fn as (item: unknown, index: number) => unknown)
    const body = (items: unknown) => {
      if (!Array.isArray(items)) throw new TypeError(`Expected an array to map over at ${site.file}:${site.line}:${site.column}, got ${typeof items}.`)
      return items.map(fn as (item: unknown, index: number) => unknown)
    }
    return ordered ? this.ordered('map', id, [array], body, site) : this.node('map', id, [array], body, site)
  }

  /**
   * The rest of a compiled `forward()` that needs `value` resolved (a loop over a pending array
   * whose body changes outer variables): `fn` runs on the resolved value, now when it is not
   * pending. A graph break: it sits on the effect chain like an ordered {@link Scope.cond}. With
   * `native`, `fn` runs code as written that may have side effects of its own (a `try`
   * statement), so it also waits for the side effects made before it.
   *
   * @example
   * ```ts
   * return $.after('for', docs, (docs) => { for (const doc of docs) out.push(...); return out }, loc)
   * ```
   */
  after(id: string, value: unknown, fn: (value: never) => unknown, site: SourceLocation, native = false): unknown {
    const previous = this.run.lastEffect
    if (native && previous !== undefined && previous.state !== 'done') {
      return this.ordered('await', id, [value, futureFor(previous)], (resolved: unknown) => (fn as (value: unknown) => unknown)(resolved), site)
    }
    return this.ordered('await', id, [value], fn, site)
  }

  /**
   * A statement with side effects (`console.log(facts)`): runs on resolved values, after the
   * run's previous side effect, without blocking any LLM call.
   */
  effect(id: string, inputs: unknown[], fn: (...values: never[]) => unknown, site: SourceLocation): unknown {
    const run = this.run
    const previous = run.lastEffect
    const waits = previous !== undefined && previous.state !== 'done'
    // In a `try` block, a side effect also waits until the statements before it have succeeded.
    const frame = run.scope instanceof ScopeFrame ? run.scope : undefined
    const clear = frame === undefined || !frame.scope.blocked(frame.peek())
    if (!waits && clear && !inputs.some(holdsPending)) {
      const value = (fn as (...values: unknown[]) => unknown)(...inputs)
      if (!(value instanceof Promise)) return value
      // An async side effect: later ones wait for it.
      const node = run.addNode({ kind: 'effect', base: id, site, inputs: [], execute: () => value })
      run.lastEffect = node
      return futureFor(node)
    }
    const node = run.addCall({ kind: 'effect', base: id, site }, waits ? [futureFor(previous), ...inputs] : inputs, (values, context) => {
      const apply = () => (fn as (...values: unknown[]) => unknown)(...(waits ? values.slice(1) : values))
      const member = scopeFrameOf(context.node)
      if (member === undefined) return apply()
      const key = member.scope.keyOf(context.node)
      return member.scope.blocked(key) ? member.scope.whenClear(key).then(apply) : apply()
    })
    run.lastEffect = node
    return futureFor(node)
  }

  /**
   * `try { ... } catch (error) { ... } finally { ... }` around module calls, with sequential
   * meaning. `body` builds the `try` block now: its calls start as soon as their inputs exist.
   * Its nodes form a failure scope: when one fails, the run does not; the nodes after it in
   * program order are cancelled (those in flight are aborted), and once the scope has settled
   * `handler` builds the `catch` block with the failure that comes first in program order (for a
   * failed LLM call its NodeError, for user code the value it threw). Side effects in the `try`
   * block wait until the statements before them have succeeded. `finalizer` builds the `finally`
   * block after either. The result is what `body` or `handler` returned, followed by the items
   * `finalizer` returned (the values of the variables each assigns). The `try` takes a place on
   * the effect chain. On plain values with nothing pending, it runs at once like the statement.
   *
   * @example
   * ```ts
   * // let summary = ''; try { summary = this.summarize(doc) } catch { summary = 'none' }
   * const $t1 = $.attempt('try', () => { summary = $.call(this.summarize, 'summary', [doc], loc); return [summary] }, ((summary) => () => { summary = 'none'; return [summary] })(summary), undefined, loc)
   * summary = $.select('summary', $t1, 0, loc)
   * ```
   */
  attempt(id: string, body: () => unknown, handler: ((error: never) => unknown) | undefined, finalizer: (() => unknown) | undefined, site: SourceLocation): unknown {
    const run = this.run
    const before = run.lastEffect
    const outer = run.scope
    const scope = new FailureScope(run, outer instanceof ScopeFrame ? outer : undefined)
    run.scope = scope.root
    let value: unknown
    try {
      value = body()
    } catch (error) {
      scope.throwNow(error, scope.root)
    } finally {
      run.scope = outer
    }
    const tail = run.lastEffect
    scope.close()
    const join = (main: unknown, last: unknown): unknown => (finalizer === undefined ? main : [...(main as unknown[]), ...(last as unknown[])])
    if (scope.idle && (scope.failure === undefined || finalizer === undefined)) {
      // Everything ran at once: as the statement itself would.
      const failure = scope.failure
      if (failure === undefined) return join(value, finalizer?.())
      run.lastEffect = before
      if (handler === undefined) throw failure.thrown
      return (handler as (error: unknown) => unknown)(failure.thrown)
    }
    const node = run.addNode({
      kind: 'cond',
      base: id,
      label: 'try',
      site,
      inputs: [],
      execute: (_values, context) => scope.outcome().then((failure) => this.afterTry(context.node, failure, value, failure === undefined ? tail : before, handler, finalizer, join)),
    })
    scope.attach(node)
    run.lastEffect = node
    return futureFor(node)
  }

  /** The `catch` and `finally` blocks, once the `try` block's scope has settled; `chain` is the side effect they come after. */
  private async afterTry(
    node: RunNode,
    failure: ScopeFailure | undefined,
    value: unknown,
    chain: RunNode | undefined,
    handler: ((error: never) => unknown) | undefined,
    finalizer: (() => unknown) | undefined,
    join: (main: unknown, last: unknown) => unknown,
  ): Promise<unknown> {
    let result = value
    let rethrow: { error: unknown } | undefined
    if (failure !== undefined) {
      if (handler === undefined) rethrow = { error: failure.thrown }
      else if (finalizer === undefined) {
        // The catch block is the end: what it builds (a throw among it) is the try's outcome.
        const built = this.buildAfter(node, chain, () => (handler as (error: unknown) => unknown)(failure.thrown))
        if ('error' in built) throw built.error
        await settledEffect(built.tail)
        return built.value
      } else {
        // A finally block comes after the catch block whatever happens in it: the catch block
        // runs in a failure scope of its own, whose failure is thrown after the finally block.
        const guarded = new FailureScope(this.run, frameOf(node))
        const built = this.buildAfter(node, chain, () => {
          const saved = this.run.scope
          this.run.scope = guarded.root
          try {
            return (handler as (error: unknown) => unknown)(failure.thrown)
          } catch (error) {
            guarded.throwNow(error, guarded.root)
            return undefined
          } finally {
            this.run.scope = saved
          }
        })
        guarded.close()
        guarded.attach(node)
        const caught = await guarded.outcome()
        if (caught !== undefined) rethrow = { error: caught.thrown }
        else if (!('error' in built)) {
          result = built.value
          await settledEffect(built.tail)
          chain = built.tail
        }
      }
    }
    if (finalizer !== undefined) {
      const built = this.buildAfter(node, chain?.state === 'done' || chain === undefined ? chain : undefined, finalizer)
      if ('error' in built) throw built.error
      await settledEffect(built.tail)
      if (rethrow === undefined) result = join(result, built.value)
    }
    if (rethrow !== undefined) throw rethrow.error
    return result
  }

  /** Builds a `catch` or `finally` block as part of the `try` node, after the side effect `chain`. */
  private buildAfter(node: RunNode, chain: RunNode | undefined, fn: () => unknown): { value: unknown; tail: RunNode | undefined } | { error: unknown } {
    const run = this.run
    const savedEffect = run.lastEffect
    const savedScope = run.scope
    run.lastEffect = chain
    run.scope = node.scope?.enter(node)
    try {
      const outcome = run.build((): { value: unknown } | { error: unknown } => {
        try {
          return { value: executingIn(run, fn) }
        } catch (error) {
          return { error }
        }
      })
      return 'error' in outcome ? outcome : { value: outcome.value, tail: run.lastEffect }
    } finally {
      run.lastEffect = savedEffect
      run.scope = savedScope
    }
  }

  private node(kind: NodeKind, id: string, inputs: unknown[], fn: Function, site: SourceLocation, label?: string): unknown {
    const run = this.run
    const spec = label === undefined ? { kind, base: id, site } : { kind, base: id, site, label }
    if (!inputs.some(holdsPending)) {
      const value = (fn as (...values: unknown[]) => unknown)(...inputs)
      // As on the pending path, a promise (an async helper) is waited for: it becomes a node.
      return value instanceof Promise ? futureFor(run.addNode({ ...spec, inputs: [], execute: () => value })) : value
    }
    return futureFor(run.addCall(spec, inputs, (values) => (fn as (...values: unknown[]) => unknown)(...values)))
  }

  /**
   * A node on the effect chain whose function builds more graph later (a branch, a loop body):
   * the side effects it makes come after those made before it, and those made after it wait for
   * it and for its own side effects.
   */
  private ordered(kind: NodeKind, id: string, inputs: unknown[], fn: Function, site: SourceLocation): unknown {
    const run = this.run
    if (!inputs.some(holdsPending)) return (fn as (...values: unknown[]) => unknown)(...inputs)
    const before = run.lastEffect
    const node = run.addCall({ kind, base: id, site }, inputs, (values) => {
      const saved = run.lastEffect
      run.lastEffect = before
      let value: unknown
      let tail: RunNode | undefined
      try {
        value = (fn as (...values: unknown[]) => unknown)(...values)
      } finally {
        tail = run.lastEffect
        run.lastEffect = saved
      }
      // Complete only after the side effects made before it and by the body: the chain's order.
      if (tail === undefined || tail.state === 'done') return value
      const last = tail
      return new Promise((resolve, reject) => last.whenSettled(() => resolve(value), reject))
    })
    run.lastEffect = node
    return futureFor(node)
  }
}

/** Waits until the side effect `tail` has settled: rejects when it failed. */
function settledEffect(tail: RunNode | undefined): Promise<unknown> | undefined {
  if (tail === undefined || tail.state === 'done') return undefined
  return new Promise((resolve, reject) => tail.whenSettled(resolve, reject))
}

/** The frame the nodes made while `node` runs join, when `node` is in a failure scope. */
function frameOf(node: RunNode): ScopeFrame | undefined {
  const frame = node.scope?.enter(node)
  return frame instanceof ScopeFrame ? frame : undefined
}

/**
 * Enters a compiled `forward()`: the scope of the run it is part of.
 *
 * @example
 * ```ts
 * forward(doc) { const $ = enter(this); return $.call(this.extractor, 'return', [doc], loc) }
 * ```
 */
export function enter(module: { constructor: { name: string } }): Scope {
  const run = currentRun()
  if (!run) throw outsideRunError(module.constructor.name)
  return new Scope(run)
}

/** The error for a module called with no run around it. */
export function outsideRunError(className: string): PlaitError {
  return new PlaitError(
    `${className} was called outside a run, so it has no endpoints. Bind endpoints and call the pipeline instead: \`const pipeline = module.bind({ endpoints: { fast: simulated() } }); await pipeline(input)\`.`,
  )
}

/** The marker the compiler adds to each class it handled (see `compilationOf` in 'plait'). */
export { mark } from './compilation.js'

/**
 * The table of source locations of a compiled file: `positions` holds a line and a column for
 * each site, all in `file`. The compiler puts one at the top of every file it compiles.
 *
 * @example
 * ```ts
 * const $L = sites('src/app.ts', [12, 15, 13, 20])
 * $L[1] // { file: 'src/app.ts', line: 13, column: 20 }
 * ```
 */
export function sites(file: string, positions: readonly number[]): SourceLocation[] {
  const table = new Array<SourceLocation>(positions.length >> 1)
  for (let index = 0; index < table.length; index++) table[index] = { file, line: positions[2 * index]!, column: positions[2 * index + 1]! }
  return table
}
