/**
 * A guard against a compiler that got pathologically slow; the number itself is measured and
 * reported by bench/ (`BENCH_ONLY=compile npm run bench`, target: median under 2 ms per forward()).
 * The bound here has a wide margin for busy machines.
 */
import { describe, expect, it } from 'vitest'
import { compileTimes } from '../../bench/compile-time.js'

describe('compile time', () => {
  it('compiles a forward() in well under a few milliseconds (median)', () => {
    const { medianMs } = compileTimes({ warmup: 10, rounds: 10 })
    expect(medianMs).toBeLessThan(10)
  })
})
