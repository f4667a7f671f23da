/**
 * `ledgerBackend`: a Backend wrapper that records every call in ledgers and refuses to start calls
 * once a budget is spent.
 */
import type { Backend, BackendCallOptions, CallOutcome, CallRun } from '../backend.js'
import type { CompletionRequest } from '../endpoint.js'
import { inProcessEndpointsOf, withDirectRoute } from '../direct.js'
import type { CallEvent } from '../events.js'
import { onAbort } from '../endpoints/abort.js'
import { outcomeFrom, resumeWithLimits } from '../limits/call.js'
import { BudgetExceededError, costOf, reachedLimit, type Budget, type BudgetScope, type Ledger, type LedgerEntry, type Price } from './ledger.js'

/**
 * A budget and the ledger whose spend it limits.
 *
 * @example
 * ```ts
 * const check: BudgetCheck = { budget: { tokens: 100_000 }, ledger, scope: 'batch' }
 * ```
 */
export interface BudgetCheck {
  budget: Budget
  ledger: Ledger
  scope: BudgetScope
}

/**
 * Options of {@link ledgerBackend}.
 *
 * @example
 * ```ts
 * const options: LedgerBackendOptions = { ledgers: [ledger], budgets: [{ budget: { cost: 5 }, ledger, scope: 'run' }], priceOf: () => price }
 * ```
 */
export interface LedgerBackendOptions {
  /** Every call is recorded in each of these. */
  ledgers: readonly Ledger[]
  /** Checked before each call is queued and again when its request is about to be sent. */
  budgets?: readonly BudgetCheck[]
  /** The price of a reply's tokens; `undefined` leaves the call unpriced. */
  priceOf?: (alias: string, outcome: CallOutcome) => Price | undefined
  /**
   * Which run (and batch item) the calls belong to, read at each call that does not say
   * (`BackendCallOptions.run`). Default: run 0.
   */
  runOf?: () => { run: number; index?: number | undefined }
}

/**
 * Wraps `inner` so that every call is recorded in `options.ledgers` (usage from the reply, cost
 * from `priceOf`), and no call starts once one of `options.budgets` is spent:
 * - a call is refused at once when a budget is already spent;
 * - a call that was queued behind an endpoint's limits is refused when its request is about to be
 *   sent (its `attempt` event), through its signal: the endpoint never sees it;
 * - calls already sending finish and are recorded, so the spend may pass the budget by what was in
 *   flight.
 * A refused call rejects with a {@link BudgetExceededError}.
 *
 * The spend of a reply is counted when the reply reaches this wrapper. The endpoint hands the slot
 * a reply frees to the next queued call a moment before that (a few microtasks), so that call may
 * still start: besides the calls in flight, at most one call per endpoint slot can pass a budget.
 * With `concurrency: 1` (or one slot) the stop is exact.
 *
 * @example
 * ```ts
 * const ledger = new Ledger()
 * const backend = ledgerBackend(inProcessBackend(endpoints), {
 *   ledgers: [ledger],
 *   budgets: [{ budget: { tokens: 50_000 }, ledger, scope: 'batch' }],
 *   priceOf: () => ({ inputPerMillion: 0.15, outputPerMillion: 0.6 }),
 * })
 * ```
 */
export function ledgerBackend(inner: Backend, options: LedgerBackendOptions): Backend {
  const { ledgers, budgets = [], priceOf } = options
  const runOf = options.runOf ?? ((): { run: number; index?: number | undefined } => ({ run: 0 }))

  // The entry written out field by field: a spread of the fields (`{ run, ...fields }`) costs more
  // than the rest of the bookkeeping while the code is not yet optimized.
  const record = (from: CallRun | undefined, alias: string, model: string, status: LedgerEntry['status'], promptTokens: number, completionTokens: number, cost: number, priced: boolean) => {
    let run: number
    let index: number | undefined
    if (from === undefined) ({ run, index } = runOf())
    else {
      run = from.number
      index = from.index
    }
    const entry: LedgerEntry =
      index === undefined
        ? { run, alias, model, status, promptTokens, completionTokens, cost, priced }
        : { run, index, alias, model, status, promptTokens, completionTokens, cost, priced }
    for (let position = 0; position < ledgers.length; position++) ledgers[position]!.add(entry)
  }

  const exceeded = (): BudgetExceededError | undefined => {
    for (const { budget, ledger, scope } of budgets) {
      const spent = ledger.total
      const limit = reachedLimit(budget, spent)
      if (limit) return new BudgetExceededError({ budget, scope, limit, spent })
    }
    return undefined
  }

  const blocked = (from: CallRun | undefined, alias: string, error: BudgetExceededError): never => {
    record(from, alias, '', 'blocked', 0, 0, 0, false)
    throw error
  }

  const succeeded = (from: CallRun | undefined, alias: string, outcome: CallOutcome): CallOutcome => {
    const promptTokens = outcome.usage?.promptTokens ?? 0
    const completionTokens = outcome.usage?.completionTokens ?? 0
    const price = priceOf?.(alias, outcome)
    record(from, alias, outcome.model, 'ok', promptTokens, completionTokens, price ? costOf(price, promptTokens, completionTokens) : 0, price !== undefined)
    return outcome
  }

  const failed = (from: CallRun | undefined, alias: string, signal: AbortSignal, error: unknown): never => {
    if (!signal.aborted) record(from, alias, '', 'failed', 0, 0, 0, false)
    throw error
  }

  const backend: Backend = {
    complete(alias, request, callOptions) {
      // Without budgets, one promise on top of the inner one (an async function would add more).
      if (budgets.length === 0) {
        let pending: Promise<CallOutcome>
        try {
          pending = inner.complete(alias, request, callOptions)
        } catch (error) {
          pending = Promise.reject(error)
        }
        const from = callOptions.run
        return pending.then(
          (outcome) => succeeded(from, alias, outcome),
          (error: unknown) => failed(from, alias, callOptions.signal, error),
        )
      }
      return budgeted(alias, request, callOptions)
    },
  }
  // Calls may go straight to the endpoints (runtime/direct.ts) when no budget must see them first.
  const endpoints = inProcessEndpointsOf(inner)
  if (endpoints === undefined || budgets.length > 0) return backend
  return withDirectRoute(backend, {
    endpoints,
    replied(alias, result, endpoint, queuedMs, from) {
      if (priceOf === undefined) {
        const usage = result.usage
        record(from, alias, result.model, 'ok', usage?.promptTokens ?? 0, usage?.completionTokens ?? 0, 0, false)
      } else {
        succeeded(from, alias, outcomeFrom(result, endpoint.describe(), alias, 1, queuedMs))
      }
    },
    resume(alias, request, callOptions, error, queuedMs) {
      const from = callOptions.run
      return resumeWithLimits(endpoints, alias, request, callOptions, error, queuedMs).then(
        (outcome) => succeeded(from, alias, outcome),
        (failure: unknown) => failed(from, alias, callOptions.signal, failure),
      )
    },
  })

  async function budgeted(alias: string, request: CompletionRequest, callOptions: BackendCallOptions): Promise<CallOutcome> {
    const early = exceeded()
    const from = callOptions.run
    if (early) return blocked(from, alias, early)
    // Our own signal, so that a request can be stopped at the moment it would be sent.
    const { signal, onEvent } = callOptions
    const controller = new AbortController()
    // Through `onAbort`, not a listener per call: the run's signal is shared by all its calls (see Run).
    const stop = onAbort(signal, (reason) => controller.abort(reason))
    const watch = (event: CallEvent) => {
      if (event.type === 'attempt' && !controller.signal.aborted) {
        const late = exceeded()
        if (late) controller.abort(late)
      }
      onEvent?.(event)
    }
    try {
      const outcome = await inner.complete(alias, request, { ...callOptions, signal: controller.signal, onEvent: watch })
      return succeeded(from, alias, outcome)
    } catch (error) {
      const reason: unknown = controller.signal.reason
      if (!signal.aborted && reason instanceof BudgetExceededError) return blocked(from, alias, reason)
      return failed(from, alias, signal, error)
    } finally {
      stop()
    }
  }
}
