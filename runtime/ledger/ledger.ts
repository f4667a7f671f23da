/**
 * The cost and token ledger: what LLM calls spent, per alias and per run, and budgets that stop
 * new calls once spent.
 */
import { PlaitError } from '../errors.js'
import { show } from '../endpoints/show.js'

/**
 * Price of one model's tokens, in your currency (USD by convention) per million tokens.
 *
 * @example
 * ```ts
 * const gpt4oMini: Price = { inputPerMillion: 0.15, outputPerMillion: 0.6 }
 * ```
 */
export interface Price {
  inputPerMillion: number
  outputPerMillion: number
}

/**
 * Prices by endpoint alias or by model name. A call is priced by the alias of the endpoint that
 * answered, else by that endpoint's model, else by the model the reply names.
 *
 * @example
 * ```ts
 * const prices: Prices = {
 *   fast: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
 *   'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
 * }
 * ```
 */
export type Prices = Readonly<Record<string, Price>>

/**
 * A limit on spending. Once the spend reaches a limit, no new LLM call starts: each fails with a
 * {@link BudgetExceededError}; calls already in flight finish (and are counted).
 *
 * @example
 * ```ts
 * const budget: Budget = { tokens: 2_000_000, cost: 5 }
 * ```
 */
export interface Budget {
  /** Prompt plus completion tokens. */
  tokens?: number
  /** Cost in the currency of `prices`; needs a price for every alias the pipeline calls. */
  cost?: number
}

/**
 * What a set of calls spent.
 *
 * @example
 * ```ts
 * const { totalTokens, cost, cachedCalls }: Spend = pipeline.ledger.total
 * ```
 */
export interface Spend {
  /** Requests that got a reply. */
  calls: number
  /** Calls answered from a memo store (no request, no cost). */
  cachedCalls: number
  /** Requests that failed for good (aborted calls are not counted). */
  failedCalls: number
  /** Calls not started because a budget was spent. */
  blockedCalls: number
  promptTokens: number
  completionTokens: number
  /** `promptTokens + completionTokens`. */
  totalTokens: number
  /** Cost of the priced calls, in the currency of `prices`. */
  cost: number
  /** Calls that reported tokens but had no price (they add nothing to `cost`). */
  unpricedCalls: number
}

/**
 * What one run spent: the run's number (as in `NodeRecord.run`) and, in a batch or stream, its item index.
 *
 * @example
 * ```ts
 * const costliest = ledger.runs.toSorted((a, b) => b.cost - a.cost)[0]
 * console.log(costliest?.index, costliest?.byAlias)
 * ```
 */
export interface RunSpend extends Spend {
  run: number
  index?: number
  byAlias: Record<string, Spend>
}

/**
 * One call as a ledger records it.
 *
 * @example
 * ```ts
 * ledger.subscribe((entry: LedgerEntry) => console.log(entry.alias, entry.status, entry.promptTokens + entry.completionTokens))
 * ```
 */
export interface LedgerEntry {
  /** `Run.number` of the run that made the call (as in `NodeRecord.run`). */
  run: number
  /** The item's index in `batch()` or `stream()` input. */
  index?: number
  /** The alias the call was made on. */
  alias: string
  /** The model that answered (or was asked, for a failed or blocked call). */
  model: string
  status: 'ok' | 'cached' | 'failed' | 'blocked'
  promptTokens: number
  completionTokens: number
  /** Cost of the call; 0 when it had no price. */
  cost: number
  /** Whether a price was found for the call's tokens. */
  priced: boolean
}

/**
 * Options of a Ledger.
 *
 * @example
 * ```ts
 * const ledger = new Ledger({ maxRuns: 10_000 })
 * ```
 */
export interface LedgerOptions {
  /** Most runs kept in `runs` (the oldest go first). Default 1000; 0 keeps none. */
  maxRuns?: number
}

const emptySpend = (): Spend => ({
  calls: 0,
  cachedCalls: 0,
  failedCalls: 0,
  blockedCalls: 0,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  cost: 0,
  unpricedCalls: 0,
})

function addTo(spend: Spend, entry: LedgerEntry): void {
  switch (entry.status) {
    case 'ok':
      spend.calls++
      break
    case 'cached':
      spend.cachedCalls++
      return
    case 'failed':
      spend.failedCalls++
      break
    case 'blocked':
      spend.blockedCalls++
      return
  }
  spend.promptTokens += entry.promptTokens
  spend.completionTokens += entry.completionTokens
  spend.totalTokens += entry.promptTokens + entry.completionTokens
  spend.cost += entry.cost
  if (!entry.priced && entry.promptTokens + entry.completionTokens > 0) spend.unpricedCalls++
}

const copySpend = (spend: Spend): Spend => ({ ...spend })

/** Most entries a ledger keeps before summing them (see `Ledger.#unsummed`). */
const UNSUMMED_LIMIT = 256

/**
 * Sums what LLM calls spent: in total, per alias and per run. Every bound pipeline has one
 * (`pipeline.ledger`, over all its runs); pass your own to `bind({ ledger })` to share one between
 * pipelines, or to `run()`, `batch()` or `stream()` (`{ ledger }`) to see one call's spend alone.
 * Readers get copies; `subscribe` tells each entry as it is added.
 *
 * @example
 * ```ts
 * const ledger = new Ledger()
 * await pipeline.batch(inputs, { ledger })
 * console.log(ledger.total.totalTokens, ledger.total.cost, ledger.byAlias.fast?.calls)
 * for (const run of ledger.runs) console.log(run.index, run.totalTokens)
 * ```
 */
export class Ledger {
  readonly #total = emptySpend()
  readonly #byAlias = new Map<string, Spend>()
  readonly #runs = new Map<number, RunSpend>()
  readonly #maxRuns: number
  readonly #listeners = new Set<(entry: LedgerEntry) => void>()
  /**
   * Entries not yet summed: `add()` only keeps them, and the sums are brought up to date when read
   * (or once `UNSUMMED_LIMIT` are waiting). Summing at each call touches five objects and two maps,
   * which fall out of the CPU's caches while a run waits on the network; summed together, they are
   * fetched once for many entries (1–3 µs per step less in `bench/ab-sim.ts`).
   */
  #unsummed: LedgerEntry[] = []

  constructor(options: LedgerOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected the options of Ledger to be an object, got ${show(options)}.`)
    const { maxRuns = 1000 } = options
    if (!Number.isInteger(maxRuns) || maxRuns < 0) throw new TypeError(`Expected \`maxRuns\` to be a non-negative integer, got ${show(maxRuns)}.`)
    this.#maxRuns = maxRuns
  }

  /** Records one call. The entry is kept as given until it is summed: do not change it afterwards. */
  add(entry: LedgerEntry): void {
    if (this.#unsummed.push(entry) >= UNSUMMED_LIMIT) this.#sum()
    // Not iterated when empty: iterating a Set makes an iterator object, per call.
    if (this.#listeners.size === 0) return
    for (const listener of this.#listeners) {
      try {
        listener(entry)
      } catch (error) {
        // A listener's bug must not break the call; it still surfaces as an uncaught error.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** Adds the entries not yet summed to the sums. */
  #sum(): void {
    const entries = this.#unsummed
    if (entries.length === 0) return
    this.#unsummed = []
    for (const entry of entries) {
      addTo(this.#total, entry)
      let alias = this.#byAlias.get(entry.alias)
      if (!alias) this.#byAlias.set(entry.alias, (alias = emptySpend()))
      addTo(alias, entry)
      if (this.#maxRuns === 0) continue
      let run = this.#runs.get(entry.run)
      if (!run) {
        run = { run: entry.run, ...emptySpend(), byAlias: {} }
        if (entry.index !== undefined) run.index = entry.index
        this.#runs.set(entry.run, run)
        if (this.#runs.size > this.#maxRuns) this.#runs.delete(this.#runs.keys().next().value!)
      }
      addTo(run, entry)
      addTo((run.byAlias[entry.alias] ??= emptySpend()), entry)
    }
  }

  /** Everything recorded. */
  get total(): Spend {
    this.#sum()
    return copySpend(this.#total)
  }

  /** Spend per alias. */
  get byAlias(): Record<string, Spend> {
    this.#sum()
    return Object.fromEntries([...this.#byAlias].map(([alias, spend]) => [alias, copySpend(spend)]))
  }

  /** Spend per run (the last `maxRuns`), in the order the runs first recorded a call. */
  get runs(): RunSpend[] {
    this.#sum()
    return [...this.#runs.values()].map((run) => ({ ...run, byAlias: Object.fromEntries(Object.entries(run.byAlias).map(([alias, spend]) => [alias, copySpend(spend)])) }))
  }

  /** Calls `listener` with every entry as it is added; returns the function that stops it. */
  subscribe(listener: (entry: LedgerEntry) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError(`Expected \`listener\` to be a function, got ${show(listener)}.`)
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Forgets everything recorded (listeners stay). */
  reset(): void {
    this.#unsummed = []
    Object.assign(this.#total, emptySpend())
    this.#byAlias.clear()
    this.#runs.clear()
  }

  toJSON(): { total: Spend; byAlias: Record<string, Spend>; runs: RunSpend[] } {
    return { total: this.total, byAlias: this.byAlias, runs: this.runs }
  }
}

/**
 * Which spend a budget limits: a pipeline's over its life, or one `run()`, `batch()` or `stream()` call's.
 *
 * @example
 * ```ts
 * if (error.cause instanceof BudgetExceededError && error.cause.scope === 'pipeline') rebind()
 * ```
 */
export type BudgetScope = 'pipeline' | 'run' | 'batch' | 'stream'

/**
 * A budget was spent: the call was not started. Names the budget, the limit reached and what was
 * spent. Inside a run it is the `cause` of the run's NodeError.
 *
 * @example
 * ```ts
 * const items = await pipeline.batch(inputs, { budget: { tokens: 100_000 } })
 * const stopped = items.filter((item) => !item.ok && item.error.cause instanceof BudgetExceededError)
 * ```
 */
export class BudgetExceededError extends PlaitError {
  override name = 'BudgetExceededError'
  readonly budget: Budget
  readonly scope: BudgetScope
  /** The limit that was reached. */
  readonly limit: 'tokens' | 'cost'
  /** What the budget's scope had spent when the call was refused. */
  readonly spent: Spend

  constructor(details: { budget: Budget; scope: BudgetScope; limit: 'tokens' | 'cost'; spent: Spend }) {
    const { budget, scope, limit, spent } = details
    const owner = scope === 'pipeline' ? "The pipeline's budget (`bind({ budget })`)" : `The ${scope}'s budget (\`${scope}(…, { budget })\`)`
    const allowed = limit === 'tokens' ? `${formatNumber(budget.tokens!)} tokens` : `a cost of ${formatCost(budget.cost!)}`
    super(
      `${owner} of ${allowed} is spent: ${formatNumber(spent.totalTokens)} tokens (${formatNumber(spent.promptTokens)} prompt + ${formatNumber(spent.completionTokens)} completion) and a cost of ${formatCost(spent.cost)} in ${spent.calls} ${spent.calls === 1 ? 'call' : 'calls'}. No new LLM call starts; calls already in flight finish. Raise \`budget.${limit}\` to go on (replies kept in a memo store are not paid twice).`,
    )
    this.budget = { ...budget }
    this.scope = scope
    this.limit = limit
    this.spent = copySpend(spent)
  }
}

/** The limit of `budget` that `spent` has reached, if any. */
export function reachedLimit(budget: Budget, spent: Spend): 'tokens' | 'cost' | undefined {
  if (budget.tokens !== undefined && spent.totalTokens >= budget.tokens) return 'tokens'
  if (budget.cost !== undefined && spent.cost >= budget.cost) return 'cost'
  return undefined
}

/** Checks a `budget` option and returns a copy. */
export function checkBudget(value: unknown, where: string): Budget {
  const example = "an object like `{ tokens: 100_000 }` or `{ cost: 5 }`"
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`Expected \`budget\` of ${where} to be ${example}, got ${show(value)}.`)
  const { tokens, cost, ...rest } = value as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new TypeError(`Expected \`budget\` of ${where} to have only \`tokens\` and \`cost\`, got \`${unknown.join('`, `')}\`.`)
  if (tokens === undefined && cost === undefined) throw new TypeError(`Expected \`budget\` of ${where} to set \`tokens\` or \`cost\` (or both), got neither.`)
  const budget: Budget = {}
  if (tokens !== undefined) {
    if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0) throw new TypeError(`Expected \`budget.tokens\` of ${where} to be a number >= 0, got ${show(tokens)}.`)
    budget.tokens = tokens
  }
  if (cost !== undefined) {
    if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) throw new TypeError(`Expected \`budget.cost\` of ${where} to be a number >= 0, got ${show(cost)}.`)
    budget.cost = cost
  }
  return budget
}

/** Checks a `prices` option and returns a copy. */
export function checkPrices(value: unknown): Prices {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`Expected \`prices\` to be an object of prices by alias or model, like \`{ fast: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }\`, got ${show(value)}.`)
  }
  const prices: Record<string, Price> = {}
  for (const [name, price] of Object.entries(value)) {
    if (price === null || typeof price !== 'object') throw new TypeError(`Expected \`prices.${name}\` to be \`{ inputPerMillion, outputPerMillion }\`, got ${show(price)}.`)
    const { inputPerMillion, outputPerMillion } = price as Record<string, unknown>
    for (const [field, amount] of [['inputPerMillion', inputPerMillion], ['outputPerMillion', outputPerMillion]] as const) {
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) throw new TypeError(`Expected \`prices.${name}.${field}\` to be a number >= 0, got ${show(amount)}.`)
    }
    prices[name] = { inputPerMillion: inputPerMillion as number, outputPerMillion: outputPerMillion as number }
  }
  return prices
}

/** The cost of `promptTokens` and `completionTokens` at `price`. */
export function costOf(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000
}

function formatNumber(value: number): string {
  return value.toLocaleString('en-US')
}

function formatCost(value: number): string {
  return value === 0 ? '0' : value >= 1 ? value.toFixed(2) : value.toPrecision(3)
}
