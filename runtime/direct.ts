/**
 * Direct calls: the way of an LLM call from its node to its endpoint when nothing between them is
 * configured. The general way goes through the backend's layers (the ledger wrapper,
 * `completeWithLimits`, the endpoint's `send()` and its request object), each with a promise and an
 * object of its own. A call on the direct way is one object: it takes the endpoint's slot, sends
 * the request, and on the reply gives the slot back, writes the ledger entry and settles its node,
 * in one reaction. It is also its request's abort signal: `openai()` hands it to the SDK as it is
 * (see `directSendKey`), and the run aborts it through its node, with no listener anywhere.
 *
 * The direct way is taken when the backend is plait's own (`inProcessBackend` under
 * `ledgerBackend` without budgets: no memo store, no custom backend), nothing records the run's
 * details (no tape, no `onNode`), the call has no output schema and no failure scope, and the
 * endpoint was made by `defineEndpoint` (or `openai()`) with its own `complete` and no
 * `timeoutMs`. A call whose first attempt fails there continues on the general way (retries,
 * fallbacks, the ledger's failure entry): what a user sees is the same either way
 * (direct.test.ts runs the same cases both ways).
 */
import type { Backend, BackendCallOptions, CallOutcome, CallRun } from './backend.js'
import type { CompletionRequest, CompletionResult, Endpoint } from './endpoint.js'
import { releaseFailed, requestCoreOf, resultProblem, type DirectRequest, type RequestCore } from './endpoints/define.js'
import { RequestSignal } from './endpoints/request-signal.js'
import { estimateTokens, usedTokens } from './limits/estimate.js'
import type { LimiterAdmission } from './limits/limiter.js'
import { deferred, type ExecuteContext, type Run, type RunNode } from './run.js'
import { keepShape } from './shapes.js'

/** Where `inProcessBackend` keeps its endpoints, and `ledgerBackend` its direct route. */
const endpointsKey = Symbol('plait.inProcessEndpoints')
const routeKey = Symbol('plait.directRoute')

/**
 * What a backend that allows direct calls does around them: its endpoints, and its bookkeeping.
 *
 * @example
 * ```ts
 * withDirectRoute(backend, { endpoints, replied: (alias, result) => record(alias, result), resume })
 * ```
 */
export interface DirectRoute {
  readonly endpoints: Readonly<Record<string, Endpoint>>
  /** A call of run `run` on `alias` got `result` at its first attempt, after `queuedMs` in the limiter. */
  replied(alias: string, result: CompletionResult, endpoint: Endpoint, queuedMs: number, run: CallRun): void
  /** The rest of a call whose first attempt failed with `error`: retries, fallbacks, bookkeeping. */
  resume(alias: string, request: CompletionRequest, options: BackendCallOptions, error: unknown, queuedMs: number): Promise<CallOutcome>
}

/**
 * Marks `backend` as the in-process backend of `endpoints`.
 *
 * @example
 * ```ts
 * return markInProcess({ complete }, endpoints)
 * ```
 */
export function markInProcess(backend: Backend, endpoints: Readonly<Record<string, Endpoint>>): Backend {
  ;(backend as Backend & Record<typeof endpointsKey, unknown>)[endpointsKey] = endpoints
  return backend
}

/**
 * The endpoints of an in-process backend (see {@link markInProcess}), `undefined` for any other.
 *
 * @example
 * ```ts
 * const endpoints = inProcessEndpointsOf(inner)
 * ```
 */
export function inProcessEndpointsOf(backend: Backend): Readonly<Record<string, Endpoint>> | undefined {
  return (backend as Partial<Record<typeof endpointsKey, Readonly<Record<string, Endpoint>>>>)[endpointsKey]
}

/**
 * Lets runs make direct calls through `backend` (see the file comment), with `route`.
 *
 * @example
 * ```ts
 * withDirectRoute(backend, route)
 * ```
 */
export function withDirectRoute(backend: Backend, route: DirectRoute): Backend {
  // Assigned, not defined: `Object.defineProperty` costs more (≈ 14 µs when the process is cold).
  ;(backend as Backend & Record<typeof routeKey, unknown>)[routeKey] = route
  return backend
}

/**
 * Starts the LLM call of `context.node` as a direct call when `backend` and the endpoint of
 * `alias` allow it (see the file comment): returns `deferred` (the call settles the node itself),
 * or `undefined` when the call must take the general way.
 *
 * @example
 * ```ts
 * const started = startDirect(backend, 'fast', request, context)
 * if (started !== undefined) return started
 * ```
 */
export function startDirect(backend: Backend, alias: string, request: CompletionRequest, context: ExecuteContext): typeof deferred | undefined {
  const route = (backend as Partial<Record<typeof routeKey, DirectRoute>>)[routeKey]
  if (route === undefined) return undefined
  const endpoints = route.endpoints
  const endpoint = Object.hasOwn(endpoints, alias) ? endpoints[alias] : undefined
  if (endpoint === undefined) return undefined
  const core = requestCoreOf(endpoint)
  if (core === undefined) return undefined
  // No check of the signal: a node starts only while its run has not failed (see `Run.start`).
  // Not read either: the run makes its signal only when something needs it (`Run.signal`).
  const { run, node } = context
  if (!callShapeKept) keepCallShape()
  const call = new DirectCall(route, alias, request, endpoint, core, run, node)
  const tokens = core.tpm === undefined ? 0 : estimateTokens(request)
  const admission = core.limiter.tryAcquire(tokens, false)
  if (admission !== undefined) call.send(admission)
  else call.wait(tokens)
  return deferred
}

/** Whether the placeholder that keeps a direct call's shape exists (see `keepCallShape`). */
let callShapeKept = false

/** Makes, with the first direct call, the placeholder that keeps the shape of one (runtime/shapes.ts). */
function keepCallShape(): void {
  callShapeKept = true
  const none = undefined as never
  keepShape(new DirectCall(none, '', none, none, none, none, none))
}

/**
 * One direct call: its slot, its request, and the node it settles. It is also its request's
 * stand-in `AbortSignal` (a `RequestSignal` that follows nothing): the run aborts it through its
 * node (`RunNode.request`), with no listener on the run's signal.
 */
class DirectCall extends RequestSignal implements DirectRequest {
  // Fields set in the constructor, not by initializers (see RunNode in runtime/run.ts).
  declare readonly route: DirectRoute
  declare readonly alias: string
  declare readonly request: CompletionRequest
  declare readonly endpoint: Endpoint
  declare readonly core: RequestCore
  declare readonly run: Run
  declare readonly node: RunNode
  declare admission: LimiterAdmission | undefined
  declare finished: boolean

  constructor(route: DirectRoute, alias: string, request: CompletionRequest, endpoint: Endpoint, core: RequestCore, run: Run, node: RunNode) {
    super()
    this.route = route
    this.alias = alias
    this.request = request
    this.endpoint = endpoint
    this.core = core
    this.run = run
    this.node = node
    this.admission = undefined
    this.finished = false
  }

  /** Waits for a slot (highest priority first, then first come), then sends. */
  wait(tokens: number): void {
    const priority = this.run.prioritized ? this.run.priorityOf(this.node) : 0
    this.core.limiter.acquire(tokens, this.run.signal, priority).then(
      (admission) => this.send(admission),
      (error: unknown) => this.run.fail(this.node, error),
    )
  }

  /** Sends the request with its slot taken. */
  send(admission: LimiterAdmission): void {
    this.admission = admission
    // The run may have failed while this call waited for its slot.
    const run = this.run
    if (run.failure !== undefined) return this.abort(run.failure)
    this.node.request = this
    const { core } = this
    if (core.directSend !== undefined) return core.directSend(this.request, this)
    let reply: Promise<CompletionResult>
    try {
      reply = core.complete(this.request, { signal: this.run.signal })
      if (!(reply instanceof Promise)) reply = Promise.resolve(reply)
    } catch (error) {
      reply = Promise.reject(error)
    }
    reply.then(
      (result) => this.replied(result),
      (error: unknown) => this.failed(error),
    )
  }

  /** The reply: the slot goes back, the ledger has its entry, the node is done. */
  replied(result: CompletionResult): void {
    if (this.finished) return
    const problem = resultProblem(this.core, result)
    if (problem !== undefined) return this.failed(problem)
    this.finish()
    const admission = this.admission!
    this.core.limiter.release(admission, 'ok', usedTokens(result.usage))
    this.route.replied(this.alias, result, this.endpoint, admission.admittedAt - admission.queuedAt, this.run)
    this.run.complete(this.node, result.text)
  }

  /** The first attempt failed: the slot goes back, and the call goes on the general way (retries, fallbacks). */
  failed(error: unknown): void {
    if (this.finished) return
    this.finish()
    const admission = this.admission!
    releaseFailed(this.core.limiter, admission, this.run.signal, error)
    const run = this.run
    const options: BackendCallOptions = run.prioritized ? { signal: run.signal, priority: run.priorityOf(this.node), run } : { signal: run.signal, run }
    this.route.resume(this.alias, this.request, options, error, admission.admittedAt - admission.queuedAt).then(
      (outcome) => this.run.complete(this.node, outcome.text),
      (reason: unknown) => this.run.fail(this.node, reason),
    )
  }

  /**
   * The run failed or was aborted: the request's listeners (the SDK's) are told, and the request
   * stops counting at once, whatever its endpoint does.
   */
  override abort(reason: unknown): void {
    super.abort(reason)
    if (this.finished) return
    this.finish()
    if (this.admission !== undefined) releaseFailed(this.core.limiter, this.admission, this.run.signal, reason)
    this.run.fail(this.node, reason)
  }

  private finish(): void {
    this.finished = true
    this.node.request = undefined
    this.listeners = undefined
  }
}
