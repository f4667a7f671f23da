/**
 * Failure scopes: the runtime of a compiled `try`. The nodes a `try` block makes (and the nodes
 * those make while they run: branches, loop bodies) join its scope. A failure of one of them does
 * not fail the run: the scope keeps the failure that comes first in program order, cancels the
 * nodes that come after it (sequential code would never have reached them) and aborts those in
 * flight; once every node of the scope has settled, the outcome is known and the `catch` runs.
 *
 * Program order is a key per node: a node made while the `try` block is built gets `[n]` (the
 * n-th node made there); a node made while node `k` runs (a branch it builds) gets `[...k, n]`.
 * Keys compare item by item, a prefix first, which is the order in which sequential code would
 * have evaluated them.
 */
import { onAbort } from './endpoints/abort.js'
import { NodeError } from './errors.js'
import type { NodeScope, Run, RunNode } from './run.js'

type Key = readonly number[]

/**
 * Compares two program-order keys: negative when `first` comes first (a prefix comes first).
 *
 * @example
 * ```ts
 * compareKeys([3], [3, 0]) // < 0: a node comes before the nodes it builds
 * compareKeys([3, 1], [4]) // < 0
 * ```
 */
export function compareKeys(first: Key, second: Key): number {
  const length = Math.min(first.length, second.length)
  for (let index = 0; index < length; index++) if (first[index] !== second[index]) return first[index]! - second[index]!
  return first.length - second.length
}

function isPrefix(first: Key, second: Key): boolean {
  return first.length <= second.length && compareKeys(first, second.slice(0, first.length)) === 0
}

/** The first failure of a scope in program order. */
export interface ScopeFailure {
  key: Key
  /** What the run would have failed with (a NodeError). */
  error: unknown
  /**
   * What sequential code would have caught: for a failed LLM call the NodeError (as `await` on
   * the call gives it); for user code (a helper, a `throw`) the value it threw.
   */
  thrown: unknown
}

/**
 * Where new nodes of a failure scope get their keys: the `try` block being built, or the run of
 * one member node.
 *
 * @example
 * ```ts
 * run.scope = scope.root // nodes made now join the scope
 * ```
 */
export class ScopeFrame implements NodeScope {
  private count = 0
  constructor(
    readonly scope: FailureScope,
    readonly key: Key,
  ) {}

  /** The key the next node made here gets. */
  peek(): Key {
    return [...this.key, this.count]
  }

  /** A key taken without a node (a failure thrown while the `try` block is built). */
  take(): Key {
    return [...this.key, this.count++]
  }

  join(node: RunNode): boolean {
    return this.scope.add(node, this.take())
  }

  enter(node: RunNode): NodeScope {
    return this.scope.frameOf(node)
  }

  stops(node: RunNode): boolean {
    return this.scope.stops(node)
  }

  signal(node: RunNode): AbortSignal {
    return this.scope.signalFor(node)
  }

  capture(node: RunNode, error: unknown): boolean {
    return this.scope.capture(node, error)
  }

  settled(node: RunNode): void {
    this.scope.settle(node)
  }
}

/**
 * The failure scope of one compiled `try` block.
 *
 * @example
 * ```ts
 * const scope = new FailureScope(run, run.scope)
 * run.scope = scope.root
 * const value = tryBlock()
 * run.scope = outer
 * scope.close()
 * const failure = await scope.outcome() // undefined when every node succeeded
 * ```
 */
export class FailureScope {
  readonly root: ScopeFrame
  /** The first failure in program order, if any. */
  failure: ScopeFailure | undefined
  /** The node of the `try` in the enclosing code, once it exists. */
  private holder: RunNode | undefined
  private readonly members: RunNode[] = []
  private readonly keys = new Map<RunNode, Key>()
  private readonly frames = new Map<RunNode, ScopeFrame>()
  private readonly controllers = new Map<RunNode, { controller: AbortController; signal: AbortSignal }>()
  /** Errors already taken (a failure that spreads to the nodes adopting it is one failure). */
  private readonly seen = new Set<unknown>()
  private unsettled = 0
  private closed = false
  /** Why the enclosing code gave up on the whole `try` (an earlier failure there, the run's abort). */
  private stopped: { reason: unknown } | undefined
  private readonly waiters: Array<(failure: ScopeFailure | undefined) => void> = []
  private readonly gates = new Set<() => void>()

  constructor(
    readonly run: Run,
    /** The frame the `try` statement itself is in (of an enclosing `try`), if any. */
    readonly parent: ScopeFrame | undefined,
  ) {
    this.root = new ScopeFrame(this, [])
  }

  /** Whether every node of the scope has settled. */
  get idle(): boolean {
    return this.unsettled === 0
  }

  /** Gives the scope the node of the `try` in the enclosing code: when that node is abandoned, so is the scope. */
  attach(holder: RunNode): void {
    this.holder = holder
    // Through `onAbort`'s set, not a listener per scope: a `try` in a loop makes one scope per
    // item on the same signal, and Node compares each new listener with all of a signal's.
    onAbort(this.outerSignal(), (reason) => this.stop(reason))
  }

  private outerSignal(): AbortSignal {
    return this.holder !== undefined && this.parent !== undefined ? this.parent.scope.signalFor(this.holder) : this.run.signal
  }

  add(node: RunNode, key: Key): boolean {
    this.keys.set(node, key)
    this.members.push(node)
    this.unsettled++
    return !this.stops(node)
  }

  keyOf(node: RunNode): Key {
    return this.keys.get(node) ?? []
  }

  frameOf(node: RunNode): ScopeFrame {
    let frame = this.frames.get(node)
    if (!frame) this.frames.set(node, (frame = new ScopeFrame(this, this.keyOf(node))))
    return frame
  }

  stops(node: RunNode): boolean {
    if (this.stopped) node.error = this.stopped.reason
    else if (this.failure && compareKeys(this.keyOf(node), this.failure.key) > 0) node.error = this.failure.error
    else return false
    return true
  }

  signalFor(node: RunNode): AbortSignal {
    let entry = this.controllers.get(node)
    if (!entry) {
      const controller = new AbortController()
      entry = { controller, signal: AbortSignal.any([this.outerSignal(), controller.signal]) }
      this.controllers.set(node, entry)
    }
    return entry.signal
  }

  /** A failure thrown while the `try` block was built (plain code that threw at once). */
  throwNow(error: unknown, frame: ScopeFrame): void {
    this.record(frame.take(), error, error)
  }

  capture(node: RunNode, error: unknown): boolean {
    if (this.seen.has(error) || this.stopped) return true
    const key = this.keyOf(node)
    if (this.failure && compareKeys(key, this.failure.key) > 0) return true
    const thrown = node.spec.kind === 'call' || !(error instanceof NodeError) ? error : error.cause
    this.record(key, error, thrown)
    return true
  }

  private record(key: Key, error: unknown, thrown: unknown): void {
    this.seen.add(error)
    this.failure = { key, error, thrown }
    // Sequential code never reaches what comes after the failure: cancel it, abort it.
    for (const member of this.members) {
      if (compareKeys(this.keyOf(member), key) <= 0) continue
      if (member.state === 'waiting') this.run.dismiss(member, error)
      else if (member.state === 'running') this.controllers.get(member)?.controller.abort(error)
    }
    this.recheck()
  }

  /** The enclosing code gave up on the `try`: nothing of it runs any more. */
  private stop(reason: unknown): void {
    if (this.stopped) return
    this.stopped = { reason }
    for (const member of this.members) {
      if (member.state === 'waiting') this.run.dismiss(member, reason)
      else if (member.state === 'running') this.controllers.get(member)?.controller.abort(reason)
    }
    this.recheck()
  }

  settle(node: RunNode): void {
    this.unsettled--
    this.controllers.delete(node)
    this.recheck()
    if (this.closed && this.unsettled === 0) this.finish()
  }

  /** The `try` block has been built: from now on, the scope is done once its nodes have settled. */
  close(): void {
    this.closed = true
    if (this.unsettled === 0) this.finish()
  }

  /** Resolves once every node has settled, with the first failure (undefined when there was none); rejects when the enclosing code gave up. */
  outcome(): Promise<ScopeFailure | undefined> {
    return new Promise((resolve, reject) => {
      const settle = (failure: ScopeFailure | undefined) => (this.stopped ? reject(this.stopped.reason) : resolve(failure))
      if (this.closed && this.unsettled === 0) settle(this.failure)
      else this.waiters.push(settle)
    })
  }

  private finish(): void {
    const waiters = this.waiters.splice(0)
    for (const waiter of waiters) waiter(this.failure)
  }

  /**
   * Whether something before `key` in program order may still fail: a node of the scope not yet
   * settled (not one of the nodes `key` is made under), a failure already seen, or the same for
   * the `try` itself in an enclosing `try`.
   */
  blocked(key: Key): boolean {
    if (this.stopped || (this.failure && compareKeys(this.failure.key, key) < 0)) return true
    for (const member of this.members) {
      if (member.state !== 'waiting' && member.state !== 'running') continue
      const memberKey = this.keyOf(member)
      if (compareKeys(memberKey, key) < 0 && !isPrefix(memberKey, key)) return true
    }
    if (this.parent === undefined) return false
    return this.parent.scope.blocked(this.holder !== undefined ? this.parent.scope.keyOf(this.holder) : this.parent.peek())
  }

  /**
   * Waits until nothing before `key` may fail any more: a side effect in a `try` block runs only
   * once the statements before it have succeeded, as in sequential code. Rejects with the
   * failure when one came first.
   */
  whenClear(key: Key): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.stopped) return finish(() => reject(this.stopped!.reason))
        if (this.failure && compareKeys(this.failure.key, key) < 0) return finish(() => reject(this.failure!.error))
        if (!this.blocked(key)) finish(resolve)
      }
      const scopes: FailureScope[] = []
      for (let scope: FailureScope | undefined = this; scope; scope = scope.parent?.scope) scopes.push(scope)
      const finish = (settle: () => void) => {
        for (const scope of scopes) scope.gates.delete(check)
        settle()
      }
      for (const scope of scopes) scope.gates.add(check)
      check()
    })
  }

  private recheck(): void {
    for (const gate of [...this.gates]) gate()
  }
}

/**
 * The failure scope `node` belongs to, with its frame, if it is in one.
 *
 * @example
 * ```ts
 * const frame = scopeFrameOf(context.node)
 * if (frame) await frame.scope.whenClear(frame.scope.keyOf(context.node))
 * ```
 */
export function scopeFrameOf(node: RunNode): ScopeFrame | undefined {
  return node.scope instanceof ScopeFrame ? node.scope : undefined
}
