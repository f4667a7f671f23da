import { afterEach, describe, expect, it, vi } from 'vitest'
import { isLoopbackURL, resolveApiKey } from '../../runtime/endpoints/api-key.js'
import { openai } from '../../runtime/endpoints/index.js'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('the key rule of openai()', () => {
  it('throws at creation, saying what to set, when no key is found for a remote server', () => {
    vi.stubEnv('OPENAI_API_KEY', '')
    vi.stubEnv('OPENAI_BASE_URL', '')
    expect(() => openai({ model: 'gpt-4o-mini' })).toThrow(TypeError)
    expect(() => openai({ model: 'gpt-4o-mini' })).toThrow(
      /Expected an API key for openai\(\{ model: "gpt-4o-mini" \}\) at https:\/\/api\.openai\.com\/v1: set the OPENAI_API_KEY environment variable, or pass `apiKey`.*apiKey: 'unused'/,
    )
    expect(() => openai({ model: 'm', baseURL: 'https://example.com/v1' })).toThrow(/OPENAI_API_KEY/)
  })

  it('uses OPENAI_API_KEY when set', () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-env')
    expect(() => openai({ model: 'gpt-4o-mini' })).not.toThrow()
    expect(resolveApiKey({ model: 'm', baseURL: 'https://api.openai.com/v1', env: { OPENAI_API_KEY: 'sk-from-env' } })).toBe('sk-from-env')
  })

  it('prefers apiKey, and rejects an empty one', () => {
    expect(resolveApiKey({ model: 'm', apiKey: 'sk-given', baseURL: 'https://api.openai.com/v1', env: { OPENAI_API_KEY: 'sk-env' } })).toBe('sk-given')
    expect(() => openai({ model: 'm', apiKey: '' })).toThrow(/Expected `apiKey` of openai\(\{ model: "m" \}\) to be a non-empty string, got an empty string/)
  })

  it('needs no key for a server on this machine', () => {
    vi.stubEnv('OPENAI_API_KEY', '')
    for (const url of ['http://localhost:11434/v1', 'http://127.0.0.1:8000/v1', 'http://[::1]:1234/v1', 'http://api.localhost/v1']) {
      expect(resolveApiKey({ model: 'm', baseURL: url, env: {} })).toBe('unused')
      expect(() => openai({ model: 'llama3', baseURL: url })).not.toThrow()
    }
    expect(isLoopbackURL('http://192.168.1.10:11434/v1')).toBe(false)
    expect(isLoopbackURL('https://localhost.example.com/v1')).toBe(false)
  })

  it('takes the base URL from OPENAI_BASE_URL when baseURL is not given', () => {
    vi.stubEnv('OPENAI_API_KEY', '')
    vi.stubEnv('OPENAI_BASE_URL', 'http://localhost:8080/v1/')
    expect(openai({ model: 'm' }).describe()).toEqual({ kind: 'openai', model: 'm', baseURL: 'http://localhost:8080/v1' })
  })

  it('validates the other options', () => {
    expect(() => openai({ model: '' })).toThrow(/Expected `model` of openai\(\) to be a non-empty string/)
    expect(() => openai({ model: 'm', apiKey: 'k', baseURL: 'ftp://x' })).toThrow(/Expected `baseURL` .* to be an http\(s\) URL/)
    expect(() => openai({ model: 'm', apiKey: 'k', timeoutMs: 0 })).toThrow(/Expected `timeoutMs`/)
    expect(() => openai({ model: 'm', apiKey: 'k', maxConcurrent: -1 })).toThrow(/Expected `maxConcurrent`/)
  })
})
