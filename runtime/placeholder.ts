/**
 * Placeholder tokens: how a pending value survives string coercion (`${facts}`, `a + b`,
 * `String(x)`, `[a, b].join()`). A token is a pair of private-use characters around the run
 * number and node number, in decimal digits only so that case changes cannot damage it.
 */

const open = '\uE000'
const close = '\uE001'

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
  // Scanned by hand rather than with `matchAll`: a match object per token costs more than the
  // rest of a render node. Arrays are made at their final size (V8 gives an empty array room for
  // 17 on its first push, and `parts` stays in the node as its template).
  let last = 0
  let parts: string[] | undefined
  let refs: SplitText['refs'] | undefined
  let first: { start: number; end: number; run: number; node: number } | undefined
  for (let at = text.indexOf(open); at !== -1; at = text.indexOf(open, at + 1)) {
    const token = tokenAt(text, at)
    if (token === undefined) continue
    if (first === undefined) first = token
    else {
      if (parts === undefined) {
        parts = [text.slice(0, first.start)]
        refs = [{ run: first.run, node: first.node }]
      }
      parts.push(text.slice(last, token.start))
      refs!.push({ run: token.run, node: token.node })
    }
    last = token.end
    at = token.end - 1
  }
  let split: SplitText
  if (first === undefined) split = { parts: [text], refs: [] }
  else if (parts === undefined) split = { parts: [text.slice(0, first.start), text.slice(last)], refs: [{ run: first.run, node: first.node }] }
  else {
    parts.push(text.slice(last))
    split = { parts: parts.slice(), refs: refs! }
  }
  for (const part of split.parts) if (hasPlaceholder(part)) return undefined
  return split
}

/** The token `\uE000run:node\uE001` starting at `at`, if one does. */
function tokenAt(text: string, at: number): { start: number; end: number; run: number; node: number } | undefined {
  let index = at + 1
  let run = 0
  const runStart = index
  for (let code = text.charCodeAt(index); code >= 48 && code <= 57; code = text.charCodeAt(++index)) run = run * 10 + (code - 48)
  if (index === runStart || text.charCodeAt(index) !== 58) return undefined
  const nodeStart = ++index
  let node = 0
  for (let code = text.charCodeAt(index); code >= 48 && code <= 57; code = text.charCodeAt(++index)) node = node * 10 + (code - 48)
  if (index === nodeStart || text.charCodeAt(index) !== 0xe001) return undefined
  return { start: at, end: index + 1, run, node }
}
