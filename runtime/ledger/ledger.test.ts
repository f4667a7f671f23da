/**
 * The Ledger keeps entries and sums them when read (or once 256 are waiting): its sums must be the
 * same whenever they are read.
 */
import { describe, expect, it } from 'vitest'
import { Ledger, type LedgerEntry } from './ledger.js'

const entry = (run: number, alias: string, status: LedgerEntry['status'], tokens: number): LedgerEntry => ({
  run,
  alias,
  model: `${alias}-1`,
  status,
  promptTokens: status === 'ok' || status === 'failed' ? tokens : 0,
  completionTokens: status === 'ok' ? 1 : 0,
  cost: status === 'ok' ? tokens / 1000 : 0,
  priced: status === 'ok',
})

const entries = Array.from({ length: 700 }, (_, index) =>
  entry(Math.floor(index / 7), index % 3 === 0 ? 'fast' : 'smart', (['ok', 'ok', 'cached', 'ok', 'failed', 'ok', 'blocked'] as const)[index % 7]!, index % 50),
)

describe('Ledger', () => {
  it('gives the same sums whether it is read after every entry, now and then, or only at the end', () => {
    const everyTime = new Ledger({ maxRuns: 50 })
    const sometimes = new Ledger({ maxRuns: 50 })
    const atTheEnd = new Ledger({ maxRuns: 50 })
    for (const [index, item] of entries.entries()) {
      everyTime.add(item)
      expect(everyTime.total.calls).toBe(entries.slice(0, index + 1).filter((done) => done.status === 'ok').length)
      sometimes.add(item)
      if (index % 97 === 0) void sometimes.runs
      atTheEnd.add(item)
    }
    const totalTokens = entries.reduce((sum, item) => sum + item.promptTokens + item.completionTokens, 0)
    expect(atTheEnd.total).toMatchObject({ calls: 400, cachedCalls: 100, failedCalls: 100, blockedCalls: 100, totalTokens })
    for (const ledger of [everyTime, sometimes]) expect(ledger.toJSON()).toEqual(atTheEnd.toJSON())
    expect(atTheEnd.runs.map((run) => run.run)).toEqual(Array.from({ length: 50 }, (_, index) => 50 + index))
    expect(atTheEnd.byAlias.fast!.calls + atTheEnd.byAlias.smart!.calls).toBe(400)
  })

  it('tells subscribers of each entry as it is added, and forgets what was not yet summed on reset', () => {
    const ledger = new Ledger()
    const told: LedgerEntry[] = []
    ledger.subscribe((item) => told.push(item))
    for (const item of entries.slice(0, 10)) ledger.add(item)
    expect(told).toEqual(entries.slice(0, 10))
    ledger.reset()
    expect(ledger.total.calls).toBe(0)
    expect(ledger.runs).toEqual([])
    ledger.add(entries[0]!)
    expect(ledger.total.calls).toBe(1)
  })
})
