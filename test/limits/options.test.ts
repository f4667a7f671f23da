/**
 * The limit options of every endpoint: defaults, checks, and what the endpoint shows.
 */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { inProcessBackend } from '../../runtime/backend.js'
import { backoffMs } from '../../runtime/limits/call.js'
import { estimateTokens } from '../../runtime/limits/estimate.js'
import { TokenBucket } from '../../runtime/limits/token-bucket.js'
import { defineEndpoint, openai, simulated } from '../../runtime/endpoints/index.js'

const complete = async () => ({ text: '', model: 'm' })

describe('limit options', () => {
  it('have defaults, shown frozen on endpoint.limits', () => {
    expect(simulated().limits).toEqual({ maxConcurrent: 64, retries: { attempts: 4, baseMs: 500, maxMs: 30_000 }, fallbacks: [], adaptive: true })
    expect(openai({ model: 'm', apiKey: 'k' }).limits.maxConcurrent).toBe(8)
    const paced = simulated({ rpm: 600, tpm: 120_000, timeoutMs: 5_000, fallbacks: ['b'], retries: { attempts: 2 }, adaptive: false })
    expect(paced.limits).toEqual({
      maxConcurrent: 64,
      rpm: 600,
      tpm: 120_000,
      burst: { requests: 10, tokens: 2_000 },
      retries: { attempts: 2, baseMs: 500, maxMs: 30_000 },
      timeoutMs: 5_000,
      fallbacks: ['b'],
      adaptive: false,
    })
    expect(Object.isFrozen(paced.limits.fallbacks)).toBe(true)
    expect(paced.effectiveLimits).toEqual({ maxConcurrent: 64, rpm: 600, tpm: 120_000 })
  })

  it('default the burst to one second of the rate, at least one request', () => {
    expect(simulated({ rpm: 30 }).limits.burst).toEqual({ requests: 1 })
    expect(simulated({ rpm: 59 }).limits.burst).toEqual({ requests: 1 })
    expect(simulated({ rpm: 6_000 }).limits.burst).toEqual({ requests: 100 })
    expect(simulated({ tpm: 30 }).limits.burst).toEqual({ tokens: 1 })
    expect(simulated({ rpm: 60, burst: 3 }).limits.burst).toEqual({ requests: 3 })
    expect(simulated({ rpm: 60, tpm: 6_000, burst: { tokens: 500 } }).limits.burst).toEqual({ requests: 1, tokens: 500 })
  })

  it('turn retries off with false', () => {
    expect(simulated({ retries: false }).limits.retries).toEqual({ attempts: 1, baseMs: 500, maxMs: 30_000 })
  })

  it('are checked, with errors saying what was expected', () => {
    const label = /of the simulated endpoint "simulated"/
    expect(() => simulated({ rpm: 0 })).toThrow(/Expected `rpm` of the simulated endpoint "simulated" to be a positive number of requests per minute .*got 0/)
    expect(() => simulated({ rpm: -5 })).toThrow(TypeError)
    expect(() => simulated({ rpm: Number.POSITIVE_INFINITY })).toThrow(/Expected `rpm`/)
    expect(() => simulated({ rpm: '60' as unknown as number })).toThrow(/got "60"/)
    expect(() => simulated({ tpm: 0 })).toThrow(/Expected `tpm` .* positive number of tokens per minute, got 0/)
    expect(() => simulated({ timeoutMs: 0 })).toThrow(/Expected `timeoutMs` .* positive number of milliseconds, got 0/)
    expect(() => simulated({ burst: 2 })).toThrow(/Expected `rpm` or `tpm` .* with `burst`/)
    expect(() => simulated({ rpm: 60, burst: 0 })).toThrow(/Expected `burst` \(requests\) .* positive integer, got 0/)
    expect(() => simulated({ rpm: 60, burst: 1.5 })).toThrow(/positive integer, got 1.5/)
    expect(() => simulated({ rpm: 60, burst: { tokens: 10 } })).toThrow(/Expected `tpm` .* with `burst.tokens`/)
    expect(() => simulated({ tpm: 600, burst: { tokens: 0 } })).toThrow(/Expected `burst.tokens`/)
    expect(() => simulated({ retries: { attempts: 0 } })).toThrow(/Expected `retries.attempts` .* positive integer \(attempts in all, 1 = no retries\), got 0/)
    expect(() => simulated({ retries: { baseMs: -1 } })).toThrow(/Expected `retries.baseMs`/)
    expect(() => simulated({ retries: { baseMs: 100, maxMs: 50 } })).toThrow(/Expected `retries.maxMs` .* >= retries.baseMs \(100\), got 50/)
    expect(() => simulated({ retries: 3 as never })).toThrow(/Expected `retries` .* \{ attempts\?, baseMs\?, maxMs\? \} or false, got 3/)
    expect(() => simulated({ fallbacks: 'backup' as never })).toThrow(/Expected `fallbacks` .* array of endpoint aliases, got "backup"/)
    expect(() => simulated({ fallbacks: ['a', 'a'] })).toThrow(/to name each alias once, got "a" twice/)
    expect(() => simulated({ adaptive: 'yes' as never })).toThrow(/Expected `adaptive` .* true or false/)
    expect(() => simulated({ rpm: 0 })).toThrow(label)
    expect(() => openai({ model: 'm', apiKey: 'k', rpm: -1 })).toThrow(/Expected `rpm` of the openai endpoint "m"/)
    expect(() => defineEndpoint({ kind: 'k', model: 'm', complete, tpm: Number.NaN })).toThrow(/Expected `tpm` of the k endpoint "m"/)
  })

  it('check fallbacks when the backend is made (at bind time)', () => {
    expect(() => inProcessBackend({ main: simulated({ fallbacks: ['backup'] }) })).toThrow(
      /Expected fallback `backup` of endpoint `main` to be bound too; bound aliases: main/,
    )
    expect(() => inProcessBackend({ main: simulated({ fallbacks: ['main'] }) })).toThrow(/to name other aliases, got `main` itself/)
    expect(() => inProcessBackend({ main: simulated({ fallbacks: ['backup'] }), backup: simulated() })).not.toThrow()
  })

  it('are shown when the endpoint is inspected, with the effective limits', () => {
    const shown = inspect(simulated({ rpm: 60 }), { depth: 4 })
    expect(shown).toContain('rpm: 60')
    expect(shown).toContain('effectiveLimits')
  })
})

describe('pacing math', () => {
  it('a token bucket waits one interval per token once the burst is spent, at any rate', () => {
    const perMinute = (rpm: number) => rpm / 60_000
    const slow = new TokenBucket(1, perMinute(30), 0)
    expect(slow.waitMs(1, 0)).toBe(0)
    slow.take(1)
    expect(slow.waitMs(1, 0)).toBeCloseTo(2_000)
    expect(slow.waitMs(1, 1_500)).toBeCloseTo(500)
    expect(slow.waitMs(1, 2_000)).toBe(0)
    const veryslow = new TokenBucket(1, perMinute(0.5), 0)
    veryslow.take(1)
    expect(veryslow.waitMs(1, 0)).toBeCloseTo(120_000)
  })

  it('lets a cost above the capacity through when full, and then waits out the debt', () => {
    const bucket = new TokenBucket(100, 1, 0) // 100 tokens, 1 per ms
    expect(bucket.waitMs(250, 0)).toBe(0)
    bucket.take(250)
    expect(bucket.available(0)).toBe(-150)
    expect(bucket.waitMs(10, 0)).toBeCloseTo(160)
    bucket.adjust(200) // usage was lower than charged
    expect(bucket.available(0)).toBe(50)
    bucket.adjust(1_000)
    expect(bucket.available(0)).toBe(100)
  })

  it('estimates tokens from prompt characters and maxTokens (or 256)', () => {
    expect(estimateTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }], maxTokens: 50 })).toBe(150)
    expect(estimateTokens({ messages: [{ role: 'system', content: 'abcd' }, { role: 'user', content: 'efgh' }] })).toBe(2 + 256)
  })

  it('backs off with full jitter: 0 up to base * 2^(n-1), capped at maxMs', () => {
    const policy = { attempts: 10, baseMs: 100, maxMs: 1_000 }
    expect(backoffMs(1, policy, () => 0)).toBe(0)
    expect(backoffMs(1, policy, () => 0.999_999)).toBe(100)
    expect(backoffMs(3, policy, () => 0.5)).toBe(200)
    expect(backoffMs(8, policy, () => 0.999_999)).toBe(1_000)
    const draws = Array.from({ length: 200 }, () => backoffMs(2, policy))
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...draws)).toBeLessThanOrEqual(200)
    expect(new Set(draws).size).toBeGreaterThan(20)
  })
})
