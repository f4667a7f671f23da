import { describe, expect, it } from 'vitest'
import { memoKey, stableJson } from './key.js'

const endpoint = { kind: 'openai', model: 'gpt-4o-mini', baseURL: 'https://api.openai.com/v1' }
const request = { messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'hi' }], temperature: 0 }

describe('stableJson', () => {
  it('sorts keys at every level and follows JSON otherwise', () => {
    expect(stableJson({ b: 1, a: { d: [undefined, 'x', () => 1], c: undefined }, e: Number.NaN })).toBe('{"a":{"d":[null,"x",null]},"b":1,"e":null}')
    expect(stableJson({ z: 1, a: 2 })).toBe(stableJson({ a: 2, z: 1 }))
    expect(stableJson({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}')
  })

  it('rejects what JSON cannot hold', () => {
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(() => stableJson(cycle)).toThrow(/Expected JSON values in a memo key, got a value that contains itself/)
    expect(() => stableJson({ n: 1n })).toThrow(/Expected JSON values in a memo key, got the bigint 1n/)
  })
})

describe('memoKey', () => {
  it('is a sha256 hex that ignores property order', () => {
    const key = memoKey({ endpoint, request })
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    expect(memoKey({ endpoint: { baseURL: endpoint.baseURL, model: endpoint.model, kind: 'openai' }, request: { temperature: 0, messages: request.messages } })).toBe(key)
    expect(memoKey({ endpoint, request, namespace: '', occurrence: 0 })).toBe(key)
  })

  it('changes with everything that decides a reply', () => {
    const key = memoKey({ endpoint, request })
    const variants = [
      memoKey({ endpoint: { ...endpoint, model: 'gpt-4o' }, request }),
      memoKey({ endpoint: { ...endpoint, baseURL: 'http://localhost:11434/v1' }, request }),
      memoKey({ endpoint, request: { ...request, temperature: 0.7 } }),
      memoKey({ endpoint, request: { ...request, maxTokens: 100 } }),
      memoKey({ endpoint, request: { ...request, responseFormat: { type: 'json_object' } } }),
      memoKey({ endpoint, request: { ...request, options: { seed: 1 } } }),
      memoKey({ endpoint, request: { ...request, messages: [{ role: 'system', content: 'Be long.' }, request.messages[1]!] } }),
      memoKey({ endpoint, request: { ...request, messages: [request.messages[0]!, { role: 'user', content: 'hello' }] } }),
      memoKey({ endpoint, request, namespace: 'run-2' }),
      memoKey({ endpoint, request, occurrence: 1 }),
    ]
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1)
  })
})
