/**
 * Diagnostics as text, in the style of TypeScript and esbuild: location and code first, then the
 * source line with a caret, then the fix, notes and docs link. No colours, so the text is the
 * same in a terminal, a log file and a test.
 */

import type { Diagnostic, SourceLocation } from './types.js'

/** The excerpt: the source line with a line-number gutter, and a caret under the column. */
function excerpt(location: SourceLocation, lineText: string): string[] {
  const text = lineText.replace(/\r?\n$/, '')
  const number = String(location.line)
  const gutter = ' '.repeat(number.length)
  // Characters before the column, with tabs kept so the caret lines up at any tab width.
  const column = Math.max(1, Math.min(location.column, text.length + 1))
  const before = text.slice(0, column - 1).replace(/[^\t]/g, ' ')
  return [`  ${number} | ${text}`, `  ${gutter} | ${before}^`]
}

/**
 * Formats one diagnostic: `file:line:col - error PL101: text` (just `error PL101: text` without a
 * location), then, when the location has `lineText`, the line with a caret under the column, then
 * `fix: ...`, one `note: ...` per note and `see: ...` for the docs anchor. Lines are joined with
 * `\n`, without a trailing newline.
 *
 * @example
 * ```ts
 * formatDiagnostic({
 *   code: 'PL101',
 *   severity: 'error',
 *   text: 'A pending value is needed synchronously',
 *   location: { file: 'src/rank.ts', line: 12, column: 33, lineText: "const hits = docs.filter((d) => this.classify(d) === 'x')" },
 *   suggestion: 'Use `await plait.filter(docs, (d) => ...)`',
 *   docs: 'docs/diagnostics.md#pl101',
 * })
 * // src/rank.ts:12:33 - error PL101: A pending value is needed synchronously
 * //   12 | const hits = docs.filter((d) => this.classify(d) === 'x')
 * //      |                                 ^
 * //   fix: Use `await plait.filter(docs, (d) => ...)`
 * //   see: docs/diagnostics.md#pl101
 * ```
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const { location } = diagnostic
  const where = location === undefined ? '' : `${location.file}:${location.line}:${location.column} - `
  const lines = [`${where}${diagnostic.severity} ${diagnostic.code}: ${diagnostic.text}`]
  if (location?.lineText !== undefined) lines.push(...excerpt(location, location.lineText))
  if (diagnostic.suggestion !== undefined) lines.push(`  fix: ${diagnostic.suggestion}`)
  for (const note of diagnostic.notes ?? []) lines.push(`  note: ${note}`)
  if (diagnostic.docs !== undefined) lines.push(`  see: ${diagnostic.docs}`)
  return lines.join('\n')
}
