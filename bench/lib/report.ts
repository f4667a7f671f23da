/** Markdown output: tables, number formats, PASS/MISS. */

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}

export const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS')

export const ms = (value: number): string => `${value.toFixed(1)} ms`
export const us = (value: number): string => `${value.toFixed(1)} µs`
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`
export const ratio = (value: number): string => `${value.toFixed(3)}×`
export const signed = (text: string, value: number): string => (value >= 0 ? `+${text}` : text)
