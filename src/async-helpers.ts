/**
 * Async-aware array helpers for callbacks that call modules: every callback starts at once (so
 * their LLM calls run in parallel), and the helper uses the resolved results. Use them with
 * `await` in an async `forward()`; the compiler suggests them where `.filter()`, `.find()`,
 * `.some()`, `.every()` or `.sort()` would need an LLM result synchronously (PL101).
 */
import { currentRun, inRun } from '../runtime/context.js'

type Callback<T, R> = (item: T, index: number) => R | Promise<R>

/** Runs `callback` on every item at once, inside the current run when there is one. */
function all<T, R>(items: readonly T[], callback: Callback<T, R>): Promise<R[]> {
  if (!Array.isArray(items)) return Promise.reject(new TypeError(`Expected an array, got ${typeof items}.`))
  if (typeof callback !== 'function') return Promise.reject(new TypeError(`Expected a callback function, got ${typeof callback}.`))
  const run = currentRun()
  const started = items.map((item, index) => (run ? inRun(run, callback, () => callback(item, index)) : callback(item, index)))
  return Promise.all(started)
}

/**
 * `items.map(callback)` with an async callback: every callback starts at once.
 *
 * @example
 * ```ts
 * const lengths = await pmap(docs, async (doc) => (await this.summarize(doc)).length)
 * ```
 */
export function pmap<T, R>(items: readonly T[], callback: Callback<T, R>): Promise<R[]> {
  return all(items, callback)
}

/**
 * `items.filter(predicate)` with an async predicate.
 *
 * @example
 * ```ts
 * const urgent = await pfilter(tickets, async (ticket) => (await this.classify(ticket)) === 'urgent')
 * ```
 */
export async function pfilter<T>(items: readonly T[], predicate: Callback<T, unknown>): Promise<T[]> {
  const keep = await all(items, predicate)
  return items.filter((_, index) => keep[index])
}

/**
 * `items.find(predicate)` with an async predicate: the first item, in array order, whose
 * predicate holds.
 *
 * @example
 * ```ts
 * const answer = await pfind(drafts, async (draft) => (await this.judge(draft)) === 'good')
 * ```
 */
export async function pfind<T>(items: readonly T[], predicate: Callback<T, unknown>): Promise<T | undefined> {
  const hits = await all(items, predicate)
  const index = hits.findIndex(Boolean)
  return index === -1 ? undefined : items[index]
}

/**
 * `items.some(predicate)` with an async predicate.
 *
 * @example
 * ```ts
 * const anyUrgent = await psome(tickets, async (ticket) => (await this.classify(ticket)) === 'urgent')
 * ```
 */
export async function psome<T>(items: readonly T[], predicate: Callback<T, unknown>): Promise<boolean> {
  return (await all(items, predicate)).some(Boolean)
}

/**
 * `items.every(predicate)` with an async predicate.
 *
 * @example
 * ```ts
 * const allGood = await pevery(drafts, async (draft) => (await this.judge(draft)) === 'good')
 * ```
 */
export async function pevery<T>(items: readonly T[], predicate: Callback<T, unknown>): Promise<boolean> {
  return (await all(items, predicate)).every(Boolean)
}

/**
 * A sorted copy of `items` by an async key (numbers or strings), stable; the keys are computed
 * at once.
 *
 * @example
 * ```ts
 * const ranked = await psortBy(docs, async (doc) => -Number(await this.score(doc)))
 * ```
 */
export async function psortBy<T>(items: readonly T[], key: Callback<T, number | string>): Promise<T[]> {
  const keys = await all(items, key)
  return items
    .map((item, index) => ({ item, key: keys[index]!, index }))
    .sort((first, second) => (first.key < second.key ? -1 : first.key > second.key ? 1 : first.index - second.index))
    .map(({ item }) => item)
}
