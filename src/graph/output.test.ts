import { describe, expect, it } from 'vitest'
import { outputReferences } from './output.js'

describe('outputReferences', () => {
  it('lists each referenced node once, in sorted key order, with its paths', () => {
    expect(
      outputReferences({
        object: {
          b: { node: 'x' },
          a: { array: [{ node: 'x' }, { literal: 1 }, { object: { 'c d': { node: 'y' }, e: { node: 'z' } } }] },
        },
      }),
    ).toEqual([
      { node: 'x', paths: ['a[0]', 'b'] },
      { node: 'y', paths: ['a[2]["c d"]'] },
      { node: 'z', paths: ['a[2].e'] },
    ])
    expect(outputReferences({ node: 'only' })).toEqual([{ node: 'only', paths: [''] }])
    expect(outputReferences({ literal: { node: 'not a reference' } })).toEqual([])
  })
})
