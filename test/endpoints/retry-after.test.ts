import { describe, expect, it } from 'vitest'
import { createRedactor, displayURL, secretHeaderValues } from '../../runtime/endpoints/redact.js'
import { parseRetryAfter } from '../../runtime/endpoints/retry-after.js'

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')
  it('reads retry-after-ms first, then retry-after in seconds or as a date', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(150)
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000)
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), now)).toBe(500)
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(3000)
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now)).toBe(0)
  })
  it('ignores missing or unreadable headers', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined()
    expect(parseRetryAfter(new Headers())).toBeUndefined()
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined()
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '-5' }))).toBeUndefined()
  })
})

describe('redaction', () => {
  it('replaces known secrets, bearer tokens and sk- keys', () => {
    const redact = createRedactor(['my-long-secret', 'ab'])
    expect(redact('key my-long-secret here')).toBe('key [redacted] here')
    expect(redact('Authorization: Bearer abc.def-ghi, next')).toBe('Authorization: Bearer [redacted], next')
    expect(redact('got sk-proj-abcdef123456')).toBe('got [redacted]')
    expect(redact('tab and lab')).toBe('tab and lab')
  })
  it('finds secret header values and shows URLs without credentials', () => {
    expect(secretHeaderValues({ Authorization: 'Bearer tok123', 'api-key': 'k1', 'x-trace': 'on' })).toEqual(['Bearer tok123', 'tok123', 'k1'])
    expect(displayURL('http://u:p@localhost:1/v1/?key=1#x')).toBe('http://localhost:1/v1')
    expect(displayURL('not a url')).toBe('(invalid URL)')
  })
})
