/**
 * Compile time per forward() over the fixture corpus (target: median under 2 ms). The assertion
 * has a wide margin for busy machines; the numbers are printed.
 */
import { describe, expect, it } from 'vitest'
import { compile } from '../../plugin/compiler/index.js'
import { fixtureNames, fixtureSource, fixturesDir, root } from './golden.js'

describe('compile time', () => {
  it('compiles a forward() in well under a few milliseconds (median)', () => {
    const sources = fixtureNames().map((name) => ({ name, source: fixtureSource(name), id: `${fixturesDir}${name}.ts` }))
    // Warm up the TypeScript parser and the JIT.
    for (let round = 0; round < 20; round++) for (const { source, id } of sources) compile(source, id, { root })
    const perForward: number[] = []
    for (let round = 0; round < 30; round++) {
      for (const { source, id } of sources) {
        const started = performance.now()
        const result = compile(source, id, { root })
        const elapsed = performance.now() - started
        const forwards = Math.max(1, result.graphs.length + new Set(result.diagnostics.map((diagnostic) => diagnostic.location?.line)).size)
        perForward.push(elapsed / forwards)
      }
    }
    perForward.sort((first, second) => first - second)
    const median = perForward[Math.floor(perForward.length / 2)]!
    const p95 = perForward[Math.floor(perForward.length * 0.95)]!
    console.log(`compile time per forward(): median ${median.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms over ${sources.length} fixtures`)
    expect(median).toBeLessThan(10)
  })
})
