/**
 * Placeholder tokens: how a pending value survives string coercion (`${facts}`, `a + b`,
 * `String(x)`, `[a, b].join()`). A token is a pair of private-use characters around the run
 * number and node number, in decimal digits only so that case changes cannot damage it.
 */

const open = '\uE000'
const close = '\uE001'
const tokenPattern = /\uE000(\d+):(\d+)\uE001/g

/**
 * The token that stands for node `node` of run `run` inside a string.
 *
 * @example
 * ```ts
 * placeholderFor(3, 12) // '\uE0003:12\uE001'
 * ```
 */
export function placeholderFor(run: number, node: number): string {
  return `${open}${run}:${node}${close}`
}

/** Whether a string holds any placeholder character (whole or damaged). */
export function hasPlaceholder(text: string): boolean {
  return text.includes(open) || text.includes(close)
}

/** A string split at its tokens: `parts[0] + node0 + parts[1] + ... + parts[n]`. */
export interface SplitText {
  parts: string[]
  refs: Array<{ run: number; node: number }>
}

/**
 * Splits a string at its placeholder tokens. Returns `undefined` when a placeholder character is
 * left over (a token was cut or altered), which the caller reports as a damaged placeholder.
 *
 * @example
 * ```ts
 * splitPlaceholders(`Compare: ${placeholderFor(1, 0)} vs ${placeholderFor(1, 1)}`)
 * // { parts: ['Compare: ', ' vs ', ''], refs: [{ run: 1, node: 0 }, { run: 1, node: 1 }] }
 * ```
 */
export function splitPlaceholders(text: string): SplitText | undefined {
  const parts: string[] = []
  const refs: SplitText['refs'] = []
  let last = 0
  for (const match of text.matchAll(tokenPattern)) {
    parts.push(text.slice(last, match.index))
    refs.push({ run: Number(match[1]), node: Number(match[2]) })
    last = match.index + match[0].length
  }
  parts.push(text.slice(last))
  return parts.some(hasPlaceholder) ? undefined : { parts, refs }
}
