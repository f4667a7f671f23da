/**
 * Memo stores: where successful LLM replies are kept by memo key, so that a re-run (after a crash,
 * a SIGKILL, a fix further down the pipeline) repeats no call that had finished.
 */
import type { Usage } from '../endpoint.js'
import { show } from '../endpoints/show.js'

/**
 * What is kept of one successful reply. Never a request header or key.
 *
 * @example
 * ```ts
 * const entry: MemoEntry = { text: 'Paris', model: 'gpt-4o-mini-2024-07-18', usage: { promptTokens: 12, completionTokens: 1 } }
 * ```
 */
export interface MemoEntry {
  text: string
  /** The model that answered, as the endpoint reported it. */
  model: string
  /** Tokens the reply cost when it was made (a replay costs none). */
  usage?: Usage
}

/**
 * Keeps replies by memo key. `get` and `set` may answer synchronously or with a promise. A store
 * keeps the first entry of a key: `set` on a key it has is a no-op.
 *
 * @example
 * ```ts
 * const store: MemoStore = {
 *   kind: 'redis',
 *   get: async (key) => JSON.parse((await redis.get(`memo:${key}`)) ?? 'null') ?? undefined,
 *   set: async (key, entry) => void (await redis.set(`memo:${key}`, JSON.stringify(entry), 'NX')),
 * }
 * ```
 */
export interface MemoStore {
  /** Shown in errors and warnings: `'memory'`, `'file'`, `'sqlite'`, ... */
  readonly kind: string
  /** Prepares the store (opens a file, loads a driver). Pipelines call it before a run starts. */
  open?(): Promise<void>
  get(key: string): MemoEntry | undefined | Promise<MemoEntry | undefined>
  set(key: string, entry: MemoEntry): void | Promise<void>
  /** Flushes and releases what the store holds; the next use opens it again. */
  close?(): Promise<void>
}

/**
 * A store kept in this process's memory.
 *
 * @example
 * ```ts
 * const store: MemoryStore = memoryStore()
 * console.log(store.size, store.keys())
 * ```
 */
export interface MemoryStore extends MemoStore {
  readonly kind: 'memory'
  /** Number of entries. */
  readonly size: number
  /** The keys, in the order they were stored. */
  keys(): string[]
  /** Forgets every entry. */
  clear(): void
}

/**
 * A memo store in memory: fast, gone when the process ends. Use it to share replies between the
 * runs of one process, and in tests.
 *
 * @example
 * ```ts
 * import { memoryStore } from 'plait'
 * const store = memoryStore()
 * await pipeline.run([doc], { store }) // calls the endpoint
 * await pipeline.run([doc], { store }) // answered from the store
 * ```
 */
export function memoryStore(): MemoryStore {
  const entries = new Map<string, MemoEntry>()
  return {
    kind: 'memory',
    get size() {
      return entries.size
    },
    get: (key) => entries.get(key),
    set(key, entry) {
      if (!entries.has(key)) entries.set(key, copyEntry(entry))
    },
    keys: () => [...entries.keys()],
    clear: () => entries.clear(),
  }
}

/** Whether `value` has what a memo store needs (`get` and `set`). */
export function isMemoStore(value: unknown): value is MemoStore {
  if (value === null || typeof value !== 'object') return false
  const { get, set } = value as Partial<MemoStore>
  return typeof get === 'function' && typeof set === 'function'
}

/** A copy of `entry` with only the fields a store keeps. */
export function copyEntry(entry: MemoEntry): MemoEntry {
  const copy: MemoEntry = { text: entry.text, model: entry.model }
  if (entry.usage) copy.usage = { promptTokens: entry.usage.promptTokens, completionTokens: entry.usage.completionTokens }
  return copy
}

/** Whether `value` is a stored entry (as read back from a file or a database). */
export function isMemoEntry(value: unknown): value is MemoEntry {
  if (value === null || typeof value !== 'object') return false
  const { text, model, usage } = value as Record<string, unknown>
  if (typeof text !== 'string' || typeof model !== 'string') return false
  if (usage === undefined) return true
  if (usage === null || typeof usage !== 'object') return false
  const { promptTokens, completionTokens } = usage as Record<string, unknown>
  return typeof promptTokens === 'number' && typeof completionTokens === 'number'
}

/**
 * How much a persistent store forces its writes to stable storage; see each store.
 *
 * @example
 * ```ts
 * const store = fileStore('memo.jsonl', { fsync: 'always' satisfies FsyncPolicy })
 * ```
 */
export type FsyncPolicy = 'always' | 'interval' | 'never'

/** Checks an `fsync` option. */
export function checkFsync(value: unknown, where: string): FsyncPolicy {
  if (value === undefined) return 'interval'
  if (value !== 'always' && value !== 'interval' && value !== 'never') {
    throw new TypeError(`Expected \`fsync\` of ${where} to be 'always', 'interval' or 'never', got ${show(value)}.`)
  }
  return value
}
