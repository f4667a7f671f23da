import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadBetterSqlite3, sqliteStore } from './sqlite-store.js'

const key = (n: number) => n.toString(16).padStart(64, '0')
let folder: string
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'plait-sqlite-store-'))
})
afterEach(() => {
  rmSync(folder, { recursive: true, force: true })
})

describe('sqliteStore', () => {
  it('round-trips entries through a database file, first write winning', async () => {
    const path = join(folder, 'memo.sqlite')
    const store = sqliteStore(path)
    expect(await store.get(key(1))).toBeUndefined()
    await store.set(key(1), { text: 'one', model: 'm', usage: { promptTokens: 7, completionTokens: 2 } })
    await store.set(key(2), { text: 'two', model: 'm2' })
    await store.set(key(1), { text: 'ignored', model: 'm' })
    expect(await store.count()).toBe(2)
    await store.close()

    const again = sqliteStore(path)
    expect(await again.get(key(1))).toEqual({ text: 'one', model: 'm', usage: { promptTokens: 7, completionTokens: 2 } })
    expect(await again.get(key(2))).toEqual({ text: 'two', model: 'm2' })
    await again.close()

    const db = new Database(path, { readonly: true })
    const rows = db.prepare('SELECT key, text, model, usage FROM plait_memo ORDER BY key').all()
    db.close()
    expect(rows).toEqual([
      { key: key(1), text: 'one', model: 'm', usage: '{"promptTokens":7,"completionTokens":2}' },
      { key: key(2), text: 'two', model: 'm2', usage: null },
    ])
  })

  it('checks its options', () => {
    expect(() => sqliteStore('')).toThrow("Expected `path` of sqliteStore() to be a non-empty string (a file path or ':memory:'), got an empty string.")
    expect(() => sqliteStore(':memory:', { table: 'x; DROP TABLE y' })).toThrow('Expected `table` of sqliteStore() to be a plain SQL name')
  })

  it('says how to install better-sqlite3 when it is missing, and refuses version 13 on Node 20', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'better-sqlite3'"), { code: 'ERR_MODULE_NOT_FOUND' })
    await expect(loadBetterSqlite3(() => Promise.reject(notFound), () => undefined)).rejects.toThrow(
      'Expected the optional peer dependency `better-sqlite3` (version 12) to be installed to use sqliteStore(); install it with `npm install better-sqlite3@^12`',
    )
    await expect(loadBetterSqlite3(() => Promise.reject(new Error('never loaded')), () => '13.2.0', '20.20.2')).rejects.toThrow(
      'Expected better-sqlite3 version 12 for sqliteStore() on Node 20.20.2, found 13.2.0',
    )
    expect(await loadBetterSqlite3()).toBe(Database)
  })
})
