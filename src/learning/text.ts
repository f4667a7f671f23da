/**
 * Text helpers of the learning code: how values recorded on a tape are shown to an LLM (and to
 * people) without flooding a prompt.
 */

/** How many characters of a received or produced value a feedback item keeps by default. */
export const DEFAULT_MAX_CHARS = 1500

/**
 * `text` cut to at most about `max` characters, keeping its start and its end (where answers and
 * conclusions usually are) and saying how much was left out.
 *
 * @example
 * ```ts
 * truncate('a'.repeat(5000), 100) // 'aaaa…\n… [4,900 characters omitted] …\n…aaaa'
 * ```
 */
export function truncate(text: string, max = DEFAULT_MAX_CHARS): string {
  if (text.length <= max) return text
  const keep = Math.max(2, max)
  const head = Math.ceil(keep * 0.6)
  const tail = keep - head
  const omitted = text.length - head - tail
  return `${text.slice(0, head)}\n… [${omitted.toLocaleString('en-US')} characters omitted] …\n${tail > 0 ? text.slice(-tail) : ''}`
}

/**
 * A value as text for a prompt: strings as they are, other values as JSON (or `String(value)` when
 * they are not JSON), truncated to `max` characters.
 *
 * @example
 * ```ts
 * showValue({ label: 'billing' }) // '{"label":"billing"}'
 * ```
 */
export function showValue(value: unknown, max = DEFAULT_MAX_CHARS): string {
  if (typeof value === 'string') return truncate(value, max)
  if (value === undefined) return '(nothing)'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return truncate(text, max)
}

/** What a node received, shown: its single argument, or the list of its arguments. */
export function showReceived(received: readonly unknown[], max = DEFAULT_MAX_CHARS): string {
  return received.length === 1 ? showValue(received[0], max) : showValue(received, max)
}

/** `text` between fences that an LLM can tell apart from the instructions around it. */
export function fenced(text: string): string {
  return `<<<\n${text}\n>>>`
}

/** Critique lines as a bulleted list (`(none)` for none). */
export function bullets(lines: readonly string[]): string {
  return lines.length === 0 ? '(none)' : lines.map((line) => `- ${line.replace(/\n/g, '\n  ')}`).join('\n')
}

/** A number from 0 to 1 with two decimals. */
export function formatScore(score: number): string {
  return score.toFixed(2)
}
