/**
 * The default persistent memo store: an append-only file of JSON lines.
 *
 * Format: one record per line, `{"v":1,"key":"<sha256 hex>","text":…,"model":…,"usage":…,"savedAt":…}`
 * followed by `\n`. Each record is appended with exactly one `write()` on a descriptor opened with
 * `O_APPEND`, so records of concurrent writers (other runs, other processes) never interleave, and a
 * reply is handed to the pipeline only after its record was written: a process killed at any point
 * (SIGKILL included) loses no reply that a run had used. A write cut short by a crash leaves a torn
 * last line; it is skipped when the file is read, and the next record starts on a fresh line.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { PlaitError } from '../errors.js'
import { show } from '../endpoints/show.js'
import { checkFsync, copyEntry, isMemoEntry, type FsyncPolicy, type MemoEntry, type MemoStore } from './store.js'

/**
 * Options of {@link fileStore}.
 *
 * @example
 * ```ts
 * const store = fileStore('memo.jsonl', { fsync: 'interval', fsyncIntervalMs: 250 })
 * ```
 */
export interface FileStoreOptions {
  /**
   * When records are forced to the disk with `fdatasync`:
   * - `'interval'` (default): at most `fsyncIntervalMs` after a write, and on `close()`. A crashed or
   *   killed process loses nothing (the kernel has every record); a power loss or OS crash loses at
   *   most the last interval of records, which a re-run then asks again. Never a wrong entry.
   * - `'always'`: before each reply is handed on (writes that queue up share one sync). Survives
   *   power loss; costs a disk sync per batch of writes.
   * - `'never'`: leave it to the OS, except on `close()`.
   */
  fsync?: FsyncPolicy
  /** For `fsync: 'interval'`, in milliseconds. Default 1000. */
  fsyncIntervalMs?: number
}

/**
 * A memo store in a JSON-lines file.
 *
 * @example
 * ```ts
 * const store: FileStore = fileStore('.plait/memo.jsonl')
 * await store.open()
 * console.log(store.path, store.size, store.skippedLines)
 * ```
 */
export interface FileStore extends MemoStore {
  readonly kind: 'file'
  /** The file, as an absolute path. */
  readonly path: string
  /** Entries loaded or written since the store was opened. */
  readonly size: number
  /** Lines of the file that were not records (a torn last line after a crash), when it was opened. */
  readonly skippedLines: number
  /** Reads the file (creating it and its folder when missing). Runs on first use by itself. */
  open(): Promise<void>
  /** Waits for pending writes, syncs them to disk and closes the file; the next use opens it again. */
  close(): Promise<void>
}

const RECORD_VERSION = 1

interface Pending {
  line: Buffer
  key: string
  entry: MemoEntry
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * A memo store in a file of JSON lines (append-only), the default persistent store. Pass it with
 * a `runId` to `batch()` to make the batch resumable: a re-run after the process died repeats no
 * LLM call that had finished.
 *
 * - Every record is one `write()` with `O_APPEND` (see the file's header); the file is read once,
 *   when the store opens, into memory.
 * - A torn last line (a crash in the middle of a write) is skipped and counted in `skippedLines`.
 * - Several processes may append to one file safely, but each sees only the entries that were
 *   there when it opened the file (and its own).
 * - See {@link FileStoreOptions.fsync} for durability against power loss.
 *
 * @example
 * ```ts
 * import { fileStore } from 'plait'
 * const store = fileStore('.plait/memo/summaries.jsonl')
 * const items = await pipeline.batch(docs.map((doc) => [doc]), { store, runId: 'summaries-2024-06' })
 * await store.close()
 * ```
 */
export function fileStore(path: string, options: FileStoreOptions = {}): FileStore {
  if (typeof path !== 'string' || path === '') throw new TypeError(`Expected \`path\` of fileStore() to be a non-empty string (a file path), got ${show(path)}.`)
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected the options of fileStore() to be an object, got ${show(options)}.`)
  const fsync = checkFsync(options.fsync, 'fileStore()')
  const intervalMs = options.fsyncIntervalMs ?? 1000
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new TypeError(`Expected \`fsyncIntervalMs\` of fileStore() to be a number of milliseconds >= 0, got ${show(intervalMs)}.`)
  }
  const file = resolve(path)

  let entries = new Map<string, MemoEntry>()
  let handle: FileHandle | undefined
  let opening: Promise<void> | undefined
  let skipped = 0
  /** The file does not end with a newline (a torn last line): the next record starts with one. */
  let needsNewline = false
  let queue: Pending[] = []
  let draining: Promise<void> | undefined
  let syncTimer: NodeJS.Timeout | undefined
  let unsynced = false

  const load = async () => {
    await mkdir(dirname(file), { recursive: true })
    let created = false
    let text = ''
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      created = true
    }
    const loaded = new Map<string, MemoEntry>()
    let bad = 0
    const lines = text.split('\n')
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!
      if (line.trim() === '') continue
      const record = parseRecord(line)
      if (!record) {
        bad++
        continue
      }
      // The first record of a key wins, as in every store.
      if (!loaded.has(record.key)) loaded.set(record.key, record.entry)
    }
    const opened = await open(file, 'a')
    if (created && fsync !== 'never') await syncFolder(dirname(file))
    entries = loaded
    skipped = bad
    needsNewline = text.length > 0 && !text.endsWith('\n')
    handle = opened
  }

  const ensureOpen = (): Promise<void> => {
    if (handle) return Promise.resolve()
    opening ??= load().then(
      () => {
        opening = undefined
      },
      (error: unknown) => {
        opening = undefined
        throw new PlaitError(`Could not open the memo file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      },
    )
    return opening
  }

  const sync = async () => {
    if (!handle || !unsynced) return
    unsynced = false
    await handle.datasync()
  }

  const scheduleSync = () => {
    if (fsync !== 'interval' || syncTimer !== undefined) return
    syncTimer = setTimeout(() => {
      syncTimer = undefined
      sync().catch((error: unknown) => warn(`Could not sync the memo file ${file} to disk: ${error instanceof Error ? error.message : String(error)}`))
    }, intervalMs)
    syncTimer.unref()
  }

  /** Writes queued records one `write()` each, in order; with `fsync: 'always'` one sync per round. */
  const drain = async () => {
    while (queue.length > 0) {
      const round = queue
      queue = []
      const written: Pending[] = []
      for (const item of round) {
        try {
          await writeRecord(item)
          written.push(item)
        } catch (error) {
          item.reject(error)
        }
      }
      if (written.length === 0) continue
      unsynced = true
      if (fsync === 'always') {
        try {
          await sync()
        } catch (error) {
          for (const item of written) item.reject(error)
          continue
        }
      } else {
        scheduleSync()
      }
      for (const item of written) {
        if (!entries.has(item.key)) entries.set(item.key, item.entry)
        item.resolve()
      }
    }
  }

  const writeRecord = async (item: Pending) => {
    const line = needsNewline ? Buffer.concat([Buffer.from('\n'), item.line]) : item.line
    needsNewline = false
    const { bytesWritten } = await handle!.write(line)
    if (bytesWritten !== line.length) {
      // A short write (a full disk) leaves a torn line: start the next record on a fresh one.
      needsNewline = true
      throw new PlaitError(`Could not append to the memo file ${file}: wrote ${bytesWritten} of ${line.length} bytes.`)
    }
  }

  const store: FileStore = {
    kind: 'file',
    path: file,
    get size() {
      return entries.size
    },
    get skippedLines() {
      return skipped
    },
    open: ensureOpen,
    async get(key) {
      await ensureOpen()
      return entries.get(key)
    },
    async set(key, entry) {
      await ensureOpen()
      if (entries.has(key)) return
      const kept = copyEntry(entry)
      const record: Record<string, unknown> = { v: RECORD_VERSION, key, text: kept.text, model: kept.model }
      if (kept.usage) record.usage = kept.usage
      record.savedAt = new Date().toISOString()
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8')
      await new Promise<void>((resolve, reject) => {
        queue.push({ line, key, entry: kept, resolve, reject })
        draining ??= drain().finally(() => {
          draining = undefined
        })
      })
    },
    async close() {
      if (opening) await opening.catch(() => undefined)
      while (draining) await draining
      if (syncTimer !== undefined) {
        clearTimeout(syncTimer)
        syncTimer = undefined
      }
      const closing = handle
      handle = undefined
      if (!closing) return
      try {
        if (unsynced) await closing.datasync()
      } finally {
        unsynced = false
        entries = new Map()
        await closing.close()
      }
    },
  }
  return store
}

/** A record line parsed and checked, or `undefined` when it is not one (torn, foreign, damaged). */
function parseRecord(line: string): { key: string; entry: MemoEntry } | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const record = value as Record<string, unknown>
  if (record.v !== RECORD_VERSION || typeof record.key !== 'string' || !/^[0-9a-f]{64}$/.test(record.key)) return undefined
  if (!isMemoEntry(record)) return undefined
  return { key: record.key, entry: copyEntry(record) }
}

/** Makes a new file's directory entry durable (Linux, macOS); ignored where folders cannot be opened. */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(folder, 'r')
    await handle.sync()
  } catch {
    // Windows cannot open folders; nothing more can be done there.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

function warn(message: string): void {
  process.emitWarning(message, { code: 'PLAIT_MEMO_STORE' })
}
