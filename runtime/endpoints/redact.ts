/**
 * Keeping secrets out of text. Endpoints hold keys in closures and never put them on objects;
 * these helpers are the second line of defence for text that comes from elsewhere (an SDK's
 * error message, a server's error body that echoes a header, a URL with credentials).
 */

const REDACTED = '[redacted]'

/** Shortest secret that is replaced verbatim; shorter ones would shred ordinary words. */
const MIN_SECRET_LENGTH = 4

/** Header names whose values are treated as secrets. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie|password/i

/**
 * Returns a function that replaces every known secret in a text, and anything shaped like a
 * bearer token or an OpenAI-style key (`sk-...`), with `[redacted]`.
 *
 * @example
 * ```ts
 * const redact = createRedactor(['sk-test-SECRET123'])
 * redact('bad key sk-test-SECRET123') // 'bad key [redacted]'
 * ```
 */
export function createRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const known = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))]
  // Longest first, so a secret that contains another is replaced whole.
  known.sort((a, b) => b.length - a.length)
  return (text) => {
    let out = text
    for (const secret of known) out = out.split(secret).join(REDACTED)
    return out
      .replace(/\b(Bearer|Basic)\s+[^\s"'`,;)}\]]+/gi, `$1 ${REDACTED}`)
      .replace(/\bsk-[A-Za-z0-9_-]{6,}/g, REDACTED)
  }
}

/**
 * The values of headers that look secret (`Authorization`, `api-key`, `x-api-key`, tokens,
 * cookies), for handing to {@link createRedactor}.
 *
 * @example
 * ```ts
 * secretHeaderValues({ 'api-key': 'abc123', 'x-trace': 'on' }) // ['abc123']
 * ```
 */
export function secretHeaderValues(headers: Record<string, string | null | undefined> | undefined): string[] {
  if (headers === undefined) return []
  const values: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' || !SECRET_HEADER.test(name)) continue
    values.push(value)
    const bare = value.replace(/^(Bearer|Basic)\s+/i, '')
    if (bare !== value) values.push(bare)
  }
  return values
}

/**
 * A URL fit to show: no user name, password, query or fragment, and no trailing slash.
 * Text that is not a URL comes back as `'(invalid URL)'` rather than echoed, since it may hold a secret.
 *
 * @example
 * ```ts
 * displayURL('http://user:pw@localhost:11434/v1/?key=abc') // 'http://localhost:11434/v1'
 * ```
 */
export function displayURL(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '(invalid URL)'
  }
  parsed.username = ''
  parsed.password = ''
  parsed.search = ''
  parsed.hash = ''
  return parsed.toString().replace(/\/+$/, '')
}
