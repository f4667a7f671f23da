import { expect, test } from 'vitest'
import { placeholderFor, splitPlaceholders } from './placeholder.js'

/** The rule `splitPlaceholders` implements, with a regular expression. */
function reference(text: string) {
  const parts: string[] = []
  const refs: Array<{ run: number; node: number }> = []
  let last = 0
  for (const match of text.matchAll(/\uE000(\d+):(\d+)\uE001/g)) {
    parts.push(text.slice(last, match.index))
    refs.push({ run: Number(match[1]), node: Number(match[2]) })
    last = match.index + match[0].length
  }
  parts.push(text.slice(last))
  return parts.some((part) => part.includes('\uE000') || part.includes('\uE001')) ? undefined : { parts, refs }
}

test('splitting text at placeholders agrees with the regular expression, damaged tokens included', () => {
  const pieces = ['a', 'step 3: ', '', placeholderFor(1, 0), placeholderFor(12, 345), '\uE000', '\uE001', '\uE0001:', ':2\uE001', '\uE000x:1\uE001', '\uE0001:\uE001', '7', ':']
  let seed = 7
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  for (let trial = 0; trial < 5000; trial++) {
    const text = Array.from({ length: Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]!).join('')
    expect(splitPlaceholders(text), JSON.stringify(text)).toEqual(reference(text))
  }
})
