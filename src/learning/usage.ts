/** Counting the LLM calls, tokens and cost of training, from the records of settled nodes. */
import type { NodeRecord } from '../../runtime/run.js'
import { describe } from '../parameter.js'

/**
 * Prices by endpoint alias or model name, in US dollars per million tokens (the shape of the
 * Ledger's `Prices`, so one object serves both). A call is priced by its alias, else its model.
 *
 * @example
 * ```ts
 * const pricing: Pricing = { 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } }
 * ```
 */
export type Pricing = Readonly<Record<string, { inputPerMillion: number; outputPerMillion: number }>>

/**
 * Calls and tokens of one alias.
 *
 * @example
 * ```ts
 * const model: AliasUsage = history.usage.byAlias.model!
 * ```
 */
export interface AliasUsage {
  calls: number
  promptTokens: number
  completionTokens: number
}

/**
 * What a stretch of work cost.
 *
 * @example
 * ```ts
 * history.usage // { calls: 42, promptTokens: 9000, completionTokens: 1200, cost: 0.0021, byAlias: { ... } }
 * ```
 */
export interface UsageSummary extends AliasUsage {
  /** In US dollars, for the calls whose alias or model has a price; undefined without `pricing`. */
  cost: number | undefined
  byAlias: Record<string, AliasUsage>
}

/**
 * Adds up the LLM calls reported to its `onNode`.
 *
 * @example
 * ```ts
 * const meter = new UsageMeter({ 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } })
 * await pipeline.run([input], { onNode: meter.onNode })
 * meter.total().calls
 * ```
 */
export class UsageMeter {
  readonly #pricing: Pricing | undefined
  readonly #total: UsageSummary

  constructor(pricing?: Pricing) {
    if (pricing !== undefined) {
      if (pricing === null || typeof pricing !== 'object') throw new TypeError(`Expected \`pricing\` to be an object of prices by alias or model, got ${describe(pricing)}.`)
      for (const [model, price] of Object.entries(pricing)) {
        const ok = price !== null && typeof price === 'object' && [price.inputPerMillion, price.outputPerMillion].every((value) => typeof value === 'number' && Number.isFinite(value) && value >= 0)
        if (!ok) throw new TypeError(`Expected \`pricing.${model}\` to be \`{ inputPerMillion, outputPerMillion }\` in dollars, got ${describe(price)}.`)
      }
    }
    this.#pricing = pricing
    this.#total = emptyUsage(pricing !== undefined)
  }

  /**
   * Pass it as `onNode` of runs, steps and backward passes.
   *
   * @example
   * ```ts
   * await optimizer.step({ onNode: meter.onNode })
   * ```
   */
  readonly onNode = (record: NodeRecord): void => {
    if (record.kind !== 'call') return
    const details = record.details ?? {}
    const calls = typeof details.calls === 'number' ? details.calls : record.state === 'done' ? 1 : 0
    if (calls === 0) return
    const usage = details.usage as { promptTokens?: unknown; completionTokens?: unknown } | undefined
    const promptTokens = typeof usage?.promptTokens === 'number' ? usage.promptTokens : 0
    const completionTokens = typeof usage?.completionTokens === 'number' ? usage.completionTokens : 0
    const alias = record.alias ?? 'unknown'
    const byAlias = (this.#total.byAlias[alias] ??= { calls: 0, promptTokens: 0, completionTokens: 0 })
    for (const into of [this.#total, byAlias]) {
      into.calls += calls
      into.promptTokens += promptTokens
      into.completionTokens += completionTokens
    }
    const model = (details.endpoint as { model?: unknown } | undefined)?.model
    const price = (record.alias !== undefined ? this.#pricing?.[record.alias] : undefined) ?? (typeof model === 'string' ? this.#pricing?.[model] : undefined)
    if (price && this.#total.cost !== undefined) this.#total.cost += (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000
  }

  /**
   * Everything so far (a copy).
   *
   * @example
   * ```ts
   * const before = meter.total()
   * ```
   */
  total(): UsageSummary {
    return copyUsage(this.#total)
  }

  /**
   * What was added since `earlier` (a value from `total()`).
   *
   * @example
   * ```ts
   * const stepUsage = meter.since(before)
   * ```
   */
  since(earlier: UsageSummary): UsageSummary {
    const now = this.total()
    const byAlias: Record<string, AliasUsage> = {}
    for (const [alias, usage] of Object.entries(now.byAlias)) {
      const before = earlier.byAlias[alias] ?? { calls: 0, promptTokens: 0, completionTokens: 0 }
      const delta = { calls: usage.calls - before.calls, promptTokens: usage.promptTokens - before.promptTokens, completionTokens: usage.completionTokens - before.completionTokens }
      if (delta.calls > 0) byAlias[alias] = delta
    }
    return {
      calls: now.calls - earlier.calls,
      promptTokens: now.promptTokens - earlier.promptTokens,
      completionTokens: now.completionTokens - earlier.completionTokens,
      cost: now.cost === undefined ? undefined : now.cost - (earlier.cost ?? 0),
      byAlias,
    }
  }
}

function emptyUsage(priced: boolean): UsageSummary {
  return { calls: 0, promptTokens: 0, completionTokens: 0, cost: priced ? 0 : undefined, byAlias: {} }
}

function copyUsage(usage: UsageSummary): UsageSummary {
  return { ...usage, byAlias: Object.fromEntries(Object.entries(usage.byAlias).map(([alias, item]) => [alias, { ...item }])) }
}
