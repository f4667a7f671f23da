/**
 * Memo keys: a SHA-256 over a stable JSON text of everything that decides an LLM reply.
 */
import { createRequire } from 'node:module'
import type { CompletionRequest, EndpointDescription } from '../endpoint.js'

/**
 * What a memo key is made of.
 *
 * @example
 * ```ts
 * const parts: MemoKeyParts = { endpoint: endpoint.describe(), request, namespace: 'nightly' }
 * ```
 */
export interface MemoKeyParts {
  /** The endpoint as `endpoint.describe()` gives it (kind, model, base URL; never a key). */
  endpoint: EndpointDescription
  /**
   * The whole request: messages (the system prompt is the module's configuration and parameter
   * values; the user message holds the resolved inputs), temperature, max tokens, response format
   * and every other option.
   */
  request: CompletionRequest
  /** Keeps unrelated work apart: entries of one namespace are never seen by another. Default `''`. */
  namespace?: string
  /** The k-th identical request within one run (0 for the first), so repeated samples stay apart. */
  occurrence?: number
}

/** Version of the key recipe; bumping it invalidates every stored entry. */
const KEY_VERSION = 1

/**
 * The memo key of one request: lowercase hex SHA-256 of the stable JSON of
 * `{ v, namespace, endpoint, request, occurrence }`. Object keys are sorted and `undefined` members
 * dropped, so two requests that mean the same get the same key whatever their property order.
 *
 * @example
 * ```ts
 * const key = memoKey({
 *   endpoint: { kind: 'openai', model: 'gpt-4o-mini', baseURL: 'https://api.openai.com/v1' },
 *   request: { messages: [{ role: 'user', content: 'hi' }], temperature: 0 },
 * })
 * key.length // 64
 * ```
 */
export function memoKey(parts: MemoKeyParts): string {
  const text = stableJson({
    v: KEY_VERSION,
    namespace: parts.namespace ?? '',
    endpoint: parts.endpoint,
    request: parts.request,
    occurrence: parts.occurrence ?? 0,
  })
  return crypto().createHash('sha256').update(text).digest('hex')
}

let loaded: typeof import('node:crypto') | undefined

/**
 * `node:crypto`, loaded on the first memo key: a static import would load it (and the streams it
 * builds on) with `import 'plait'`, ≈ 5 ms of a cold start that most runs never use.
 */
function crypto(): typeof import('node:crypto') {
  return (loaded ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'))
}

/**
 * JSON text with object keys sorted (by UTF-16 code units) at every level. Follows `JSON.stringify`
 * otherwise: `toJSON` is honoured, `undefined`, functions and symbols are dropped from objects and
 * become `null` in arrays, non-finite numbers become `null`. Throws a TypeError for a bigint or a
 * cycle.
 *
 * @example
 * ```ts
 * stableJson({ b: 1, a: [undefined, 'x'] }) // '{"a":[null,"x"],"b":1}'
 * ```
 */
export function stableJson(value: unknown): string {
  return write(value, [])
}

function write(value: unknown, ancestors: object[]): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      throw new TypeError(`Expected JSON values in a memo key, got the bigint ${String(value)}n.`)
    case 'object':
      break
    default:
      return 'null'
  }
  const object = value as Record<string, unknown>
  if (typeof object.toJSON === 'function') return write((object.toJSON as () => unknown)(), ancestors)
  if (ancestors.includes(object)) throw new TypeError('Expected JSON values in a memo key, got a value that contains itself (a cycle).')
  ancestors.push(object)
  let text: string
  if (Array.isArray(object)) {
    text = `[${object.map((item) => (isDropped(item) ? 'null' : write(item, ancestors))).join(',')}]`
  } else {
    const members: string[] = []
    for (const key of Object.keys(object).sort()) {
      const item = object[key]
      if (!isDropped(item)) members.push(`${JSON.stringify(key)}:${write(item, ancestors)}`)
    }
    text = `{${members.join(',')}}`
  }
  ancestors.pop()
  return text
}

function isDropped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}
