import { describe, expect, it } from 'vitest'
import { formatDiagnostic } from './diagnostic.js'
import type { Diagnostic } from './types.js'

const pl101: Diagnostic = {
  code: 'PL101',
  severity: 'error',
  text: 'A pending value is needed synchronously',
  location: {
    file: 'src/rank.ts',
    line: 12,
    column: 33,
    lineText: "const hits = docs.filter((d) => this.classify(d) === 'x')",
  },
  suggestion: 'Use `await plait.filter(docs, (d) => ...)`',
  notes: ['`this.classify(d)` is an LLM call: its result is not known inside `.filter()`', 'See also PL102'],
  docs: 'docs/diagnostics.md#pl101',
}

describe('formatDiagnostic', () => {
  it('formats location, excerpt with caret, fix, notes and docs', () => {
    expect(formatDiagnostic(pl101)).toBe(
      [
        'src/rank.ts:12:33 - error PL101: A pending value is needed synchronously',
        "  12 | const hits = docs.filter((d) => this.classify(d) === 'x')",
        '     |                                 ^',
        '  fix: Use `await plait.filter(docs, (d) => ...)`',
        '  note: `this.classify(d)` is an LLM call: its result is not known inside `.filter()`',
        '  note: See also PL102',
        '  see: docs/diagnostics.md#pl101',
      ].join('\n'),
    )
  })

  it('puts the caret under the column', () => {
    const lines = formatDiagnostic(pl101).split('\n')
    const source = lines[1]!
    const caret = lines[2]!
    expect(caret.indexOf('|')).toBe(source.indexOf('|'))
    expect(source.slice(caret.indexOf('^'))).toMatch(/^this\.classify\(d\)/)
  })

  it('formats a diagnostic without a location', () => {
    expect(formatDiagnostic({ code: 'PL205', severity: 'warning', text: 'forward() left to the tracer' })).toBe(
      'warning PL205: forward() left to the tracer',
    )
    expect(
      formatDiagnostic({ code: 'PL103', severity: 'error', text: 'Bad', suggestion: 'Do this', docs: 'docs/d.md#pl103' }),
    ).toBe('error PL103: Bad\n  fix: Do this\n  see: docs/d.md#pl103')
  })

  it('formats a location without line text as the header only', () => {
    const { lineText: _, ...location } = pl101.location!
    expect(formatDiagnostic({ ...pl101, location, notes: [], suggestion: undefined, docs: undefined })).toBe(
      'src/rank.ts:12:33 - error PL101: A pending value is needed synchronously',
    )
  })

  it('keeps tabs before the caret and clamps a column past the end of the line', () => {
    const tabbed = formatDiagnostic({
      code: 'PL104',
      severity: 'error',
      text: 'x',
      location: { file: 'a.ts', line: 7, column: 3, lineText: '\t\tawait this.loop()\r\n' },
    })
    expect(tabbed.split('\n').slice(1)).toEqual(['  7 | \t\tawait this.loop()', '    | \t\t^'])
    const past = formatDiagnostic({
      code: 'PL104',
      severity: 'error',
      text: 'x',
      location: { file: 'a.ts', line: 100, column: 99, lineText: 'abc' },
    })
    expect(past.split('\n').slice(1)).toEqual(['  100 | abc', '      |    ^'])
  })

  it('is color-free', () => {
    expect(formatDiagnostic(pl101)).not.toMatch(/\u001b\[/)
  })
})
