/** Anything with a case-insensitive `get(name)`, such as the Fetch API's `Headers`. */
export interface HeaderReader {
  get(name: string): string | null | undefined
}

/**
 * How long a server asked the client to wait, in milliseconds: from `retry-after-ms` (milliseconds,
 * not standard but sent by OpenAI), else `retry-after` (seconds, or an HTTP date). `undefined` when
 * neither header is there or readable; never negative.
 *
 * @example
 * ```ts
 * parseRetryAfter(new Headers({ 'retry-after': '2' })) // 2000
 * parseRetryAfter(new Headers({ 'retry-after-ms': '150' })) // 150
 * ```
 */
export function parseRetryAfter(headers: HeaderReader | undefined, now: number = Date.now()): number | undefined {
  if (headers === undefined) return undefined
  const ms = parseNumber(headers.get('retry-after-ms'))
  if (ms !== undefined) return ms
  const raw = headers.get('retry-after')?.trim()
  if (raw === undefined || raw === '') return undefined
  const seconds = parseNumber(raw)
  if (seconds !== undefined) return Math.round(seconds * 1000)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function parseNumber(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined
  const parsed = Number(trimmed)
  return Number.isFinite(parsed) ? Math.max(0, parsed) : undefined
}
