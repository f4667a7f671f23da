/**
 * A memo store in a SQLite database through `better-sqlite3` (version 12, which runs on Node 20).
 * The driver is an optional peer dependency, loaded on first use only.
 */
import { createRequire } from 'node:module'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { PlaitError } from '../errors.js'
import { show } from '../endpoints/show.js'
import { checkFsync, copyEntry, isMemoEntry, type FsyncPolicy, type MemoEntry, type MemoStore } from './store.js'

/**
 * Options of {@link sqliteStore}.
 *
 * @example
 * ```ts
 * const store = sqliteStore('memo.sqlite', { table: 'eval_memo', fsync: 'always' })
 * ```
 */
export interface SqliteStoreOptions {
  /** Table of the entries; created when missing. Default `'plait_memo'`. */
  table?: string
  /**
   * How hard SQLite syncs (the database runs in WAL mode):
   * - `'interval'` (default): `synchronous = NORMAL`; a killed process loses nothing, a power loss
   *   may lose the last commits (never corrupts).
   * - `'always'`: `synchronous = FULL`, every commit survives power loss.
   * - `'never'`: `synchronous = OFF`.
   */
  fsync?: FsyncPolicy
}

/**
 * A memo store in SQLite.
 *
 * @example
 * ```ts
 * const store: SqliteStore = sqliteStore('.plait/memo.sqlite')
 * console.log(await store.count())
 * ```
 */
export interface SqliteStore extends MemoStore {
  readonly kind: 'sqlite'
  /** The database file, as an absolute path (or `':memory:'`). */
  readonly path: string
  /** Loads the driver and opens the database. Runs on first use by itself. */
  open(): Promise<void>
  /** Number of entries in the table. */
  count(): Promise<number>
  /** Closes the database; the next use opens it again. */
  close(): Promise<void>
}

/** The part of better-sqlite3's API this store uses (its types stay out of plait's declarations). */
interface SqliteStatement<Params extends unknown[], Result> {
  get(...params: Params): Result | undefined
  run(...params: Params): unknown
}
interface SqliteDatabase {
  pragma(source: string): unknown
  exec(source: string): unknown
  prepare<Params extends unknown[] = unknown[], Result = unknown>(source: string): SqliteStatement<Params, Result>
  close(): unknown
}
/** The `better-sqlite3` Database constructor, as far as this store uses it. */
export type SqliteDatabaseConstructor = new (file: string) => SqliteDatabase

interface Row {
  text: string
  model: string
  usage: string | null
}

/**
 * A memo store in a SQLite database, for when you want to query entries or share them between
 * processes. Needs the optional peer dependency `better-sqlite3` version 12 (`npm install
 * better-sqlite3@^12`); it is loaded on first use, so plait does not need it otherwise. Version 13
 * needs Node 22: on Node 20 the store refuses it with a clear error rather than crash.
 *
 * One row per entry (`key` primary key, first write wins); the database runs in WAL mode with a
 * 5 second busy timeout, so several processes may share it.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'plait'
 * const store = sqliteStore('.plait/memo.sqlite')
 * const items = await pipeline.batch(inputs, { store, runId: 'eval-v3' })
 * await store.close()
 * ```
 */
export function sqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (typeof path !== 'string' || path === '') throw new TypeError(`Expected \`path\` of sqliteStore() to be a non-empty string (a file path or ':memory:'), got ${show(path)}.`)
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected the options of sqliteStore() to be an object, got ${show(options)}.`)
  const table = options.table ?? 'plait_memo'
  if (typeof table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    throw new TypeError(`Expected \`table\` of sqliteStore() to be a plain SQL name (letters, digits, underscores), got ${show(table)}.`)
  }
  const fsync = checkFsync(options.fsync, 'sqliteStore()')
  const file = path === ':memory:' ? path : resolve(path)

  let db: SqliteDatabase | undefined
  let select: SqliteStatement<[string], Row> | undefined
  let insert: SqliteStatement<[string, string, string, string | null, string], unknown> | undefined
  let opening: Promise<void> | undefined

  const load = async () => {
    const Database = await loadBetterSqlite3()
    // `node:fs/promises`, not `node:fs`: importing `node:fs` as ESM loads Node's streams (≈ 3 ms of `import 'plait'`).
    if (file !== ':memory:') await mkdir(dirname(file), { recursive: true })
    const opened = new Database(file)
    try {
      opened.pragma('journal_mode = WAL')
      opened.pragma(`synchronous = ${fsync === 'always' ? 'FULL' : fsync === 'never' ? 'OFF' : 'NORMAL'}`)
      opened.pragma('busy_timeout = 5000')
      opened.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, text TEXT NOT NULL, model TEXT NOT NULL, usage TEXT, saved_at TEXT NOT NULL) WITHOUT ROWID`)
      select = opened.prepare<[string], Row>(`SELECT text, model, usage FROM ${table} WHERE key = ?`)
      insert = opened.prepare<[string, string, string, string | null, string]>(`INSERT OR IGNORE INTO ${table} (key, text, model, usage, saved_at) VALUES (?, ?, ?, ?, ?)`)
    } catch (error) {
      opened.close()
      throw error
    }
    db = opened
  }

  const ensureOpen = (): Promise<void> => {
    if (db) return Promise.resolve()
    opening ??= load().then(
      () => {
        opening = undefined
      },
      (error: unknown) => {
        opening = undefined
        if (error instanceof PlaitError) throw error
        throw new PlaitError(`Could not open the SQLite memo store ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      },
    )
    return opening
  }

  return {
    kind: 'sqlite',
    path: file,
    open: ensureOpen,
    async get(key) {
      await ensureOpen()
      const row = select!.get(key)
      if (!row) return undefined
      const entry: Record<string, unknown> = { text: row.text, model: row.model }
      if (row.usage !== null) {
        try {
          entry.usage = JSON.parse(row.usage)
        } catch {
          return undefined
        }
      }
      return isMemoEntry(entry) ? copyEntry(entry) : undefined
    },
    async set(key, entry: MemoEntry) {
      await ensureOpen()
      const kept = copyEntry(entry)
      insert!.run(key, kept.text, kept.model, kept.usage ? JSON.stringify(kept.usage) : null, new Date().toISOString())
    },
    async count() {
      await ensureOpen()
      return db!.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n
    },
    async close() {
      if (opening) await opening.catch(() => undefined)
      const closing = db
      db = undefined
      select = undefined
      insert = undefined
      closing?.close()
    },
  }
}

/**
 * Loads the `better-sqlite3` constructor, or throws a PlaitError that says how to install it.
 * Refuses version 13 and later on Node older than 22, where they crash the process.
 *
 * @example
 * ```ts
 * const Database = await loadBetterSqlite3()
 * const db = new Database(':memory:')
 * ```
 */
export async function loadBetterSqlite3(
  load: () => Promise<unknown> = () => import('better-sqlite3'),
  installedVersion: () => string | undefined = readInstalledVersion,
  nodeVersion: string = process.versions.node,
): Promise<SqliteDatabaseConstructor> {
  const version = installedVersion()
  const major = version === undefined ? undefined : Number(version.split('.')[0])
  if (major !== undefined && major >= 13 && Number(nodeVersion.split('.')[0]) < 22) {
    throw new PlaitError(
      `Expected better-sqlite3 version 12 for sqliteStore() on Node ${nodeVersion}, found ${version}: version 13 and later need Node 22 and crash the process on older Node. Install version 12 with \`npm install better-sqlite3@^12\`.`,
    )
  }
  let loaded: unknown
  try {
    loaded = await load()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new PlaitError(
        'Expected the optional peer dependency `better-sqlite3` (version 12) to be installed to use sqliteStore(); install it with `npm install better-sqlite3@^12`, or use fileStore(), which needs nothing.',
        { cause: error },
      )
    }
    throw new PlaitError(`Could not load better-sqlite3 for sqliteStore(): ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  const Database = (loaded as { default?: unknown }).default ?? loaded
  if (typeof Database !== 'function') throw new PlaitError('Expected `better-sqlite3` to export the Database constructor; is the installed package really better-sqlite3?')
  return Database as SqliteDatabaseConstructor
}

function readInstalledVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url)
    return (require('better-sqlite3/package.json') as { version?: string }).version
  } catch {
    return undefined
  }
}
