import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileStore } from './file-store.js'
import { memoryStore } from './store.js'

const key = (n: number) => n.toString(16).padStart(64, '0')
let folder: string
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'plait-file-store-'))
})
afterEach(() => {
  rmSync(folder, { recursive: true, force: true })
})

describe('fileStore', () => {
  it('keeps entries across close and reopen, one JSON line each, first write winning', async () => {
    const path = join(folder, 'nested', 'memo.jsonl')
    const store = fileStore(path)
    expect(await store.get(key(1))).toBeUndefined()
    await store.set(key(1), { text: 'one', model: 'm', usage: { promptTokens: 3, completionTokens: 1 } })
    await store.set(key(2), { text: 'two\nlines "quoted"', model: 'm' })
    await store.set(key(1), { text: 'ignored', model: 'm' })
    await store.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toBe('')
    expect(JSON.parse(lines[0]!)).toMatchObject({ v: 1, key: key(1), text: 'one', model: 'm', usage: { promptTokens: 3, completionTokens: 1 } })

    const again = fileStore(path)
    expect(await again.get(key(1))).toEqual({ text: 'one', model: 'm', usage: { promptTokens: 3, completionTokens: 1 } })
    expect(await again.get(key(2))).toEqual({ text: 'two\nlines "quoted"', model: 'm' })
    expect(again.size).toBe(2)
    expect(again.skippedLines).toBe(0)
    await again.close()
  })

  it('survives a torn last line: skips it, and the next record starts on a line of its own', async () => {
    const path = join(folder, 'memo.jsonl')
    const store = fileStore(path, { fsync: 'always' })
    await store.set(key(1), { text: 'one', model: 'm' })
    await store.set(key(2), { text: 'two', model: 'm' })
    await store.close()
    // A crash in the middle of the third write.
    const whole = JSON.stringify({ v: 1, key: key(3), text: 'three', model: 'm', savedAt: new Date().toISOString() })
    appendFileSync(path, whole.slice(0, 25))

    const reopened = fileStore(path)
    expect(await reopened.get(key(1))).toEqual({ text: 'one', model: 'm' })
    expect(await reopened.get(key(2))).toEqual({ text: 'two', model: 'm' })
    expect(await reopened.get(key(3))).toBeUndefined()
    expect(reopened.skippedLines).toBe(1)
    await reopened.set(key(4), { text: 'four', model: 'm' })
    await reopened.close()

    const third = fileStore(path)
    expect(await third.get(key(4))).toEqual({ text: 'four', model: 'm' })
    expect(third.size).toBe(3)
    expect(third.skippedLines).toBe(1)
    await third.close()
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true)
  })

  it('skips lines that are not its records', async () => {
    const path = join(folder, 'memo.jsonl')
    writeFileSync(path, ['not json', JSON.stringify({ v: 2, key: key(1), text: 'x', model: 'm' }), JSON.stringify({ v: 1, key: 'short', text: 'x', model: 'm' }), JSON.stringify({ v: 1, key: key(5), text: 'five', model: 'm' }), ''].join('\n'))
    const store = fileStore(path)
    expect(await store.get(key(5))).toEqual({ text: 'five', model: 'm' })
    expect(store.size).toBe(1)
    expect(store.skippedLines).toBe(3)
    await store.close()
  })

  it('writes concurrent records whole, one line each', async () => {
    const path = join(folder, 'memo.jsonl')
    const store = fileStore(path, { fsync: 'never' })
    await Promise.all(Array.from({ length: 200 }, (_, n) => store.set(key(n), { text: `reply ${n} `.repeat(50), model: 'm' })))
    await store.close()
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(200)
    expect(new Set(lines.map((line) => (JSON.parse(line) as { key: string }).key)).size).toBe(200)
  })

  it('checks its options and names the file when it cannot open it', async () => {
    expect(() => fileStore('')).toThrow('Expected `path` of fileStore() to be a non-empty string (a file path), got an empty string.')
    expect(() => fileStore(join(folder, 'x'), { fsync: 'sometimes' as never })).toThrow(`Expected \`fsync\` of fileStore() to be 'always', 'interval' or 'never', got "sometimes".`)
    const store = fileStore(folder)
    await expect(store.get(key(1))).rejects.toThrow(`Could not open the memo file ${folder}`)
  })
})

describe('memoryStore', () => {
  it('keeps the first entry of a key', () => {
    const store = memoryStore()
    store.set(key(1), { text: 'a', model: 'm' })
    store.set(key(1), { text: 'b', model: 'm' })
    expect(store.get(key(1))).toEqual({ text: 'a', model: 'm' })
    expect(store.size).toBe(1)
    store.clear()
    expect(store.get(key(1))).toBeUndefined()
  })
})
