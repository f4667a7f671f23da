import { expect, test } from 'vitest'
import { Run } from './run.js'

/** The rule `Run.newId` implements, with a set of every id given out. */
function reference(bases: string[]): string[] {
  const counts = new Map<string, number>()
  const ids = new Set<string>()
  return bases.map((base) => {
    let count = (counts.get(base) ?? 0) + 1
    let id = count === 1 ? base : `${base}_${count}`
    while (ids.has(id)) id = `${base}_${++count}`
    ids.add(id)
    counts.set(base, count)
    return id
  })
}

test('node ids from the per-base counts are those a set of every id gives, and unique', () => {
  const pool = ['a', 'a_2', 'a_3', 'a_2_2', 'a_02', 'a_1', 'b_10', 'b', 'a_2_3', '_2', '', 'x_0']
  let seed = 1
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  for (let trial = 0; trial < 2000; trial++) {
    const bases = Array.from({ length: 1 + Math.floor(random() * 30) }, () => pool[Math.floor(random() * pool.length)]!)
    const run = new Run({ mode: 'trace', services: {} })
    const ids = bases.map((base) => run.addNode({ kind: 'derive', base, inputs: [], execute: () => 0 }).id)
    expect(ids).toEqual(reference(bases))
    expect(new Set(ids).size).toBe(ids.length)
  }
})
