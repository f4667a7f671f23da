/**
 * A resolver for `compile({ resolve })` that reads relative imports from disk, the way
 * TypeScript projects write them (`'./base.js'` for `base.ts`). Build time only.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve as resolvePath } from 'node:path'

/**
 * Resolves relative specifiers (`./base.js`, `../lib/base`, `./dir` with an index file) to
 * TypeScript or JavaScript files on disk; other specifiers (packages) give `undefined`.
 *
 * @example
 * ```ts
 * const result = compile(source, '/repo/src/app.ts', { root: '/repo', resolve: nodeResolver() })
 * ```
 */
export function nodeResolver(): (specifier: string, importer: string) => { id: string; source: string } | undefined {
  return (specifier, importer) => {
    if (!specifier.startsWith('.')) return undefined
    const base = resolvePath(dirname(importer.replace(/\?.*$/, '')), specifier)
    const stem = base.replace(/\.[cm]?[jt]sx?$/, '')
    const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.js`, `${stem}.mjs`, `${base}/index.ts`, `${base}/index.js`]
    for (const file of candidates) {
      if (file !== base || /\.[cm]?[jt]sx?$/.test(file)) {
        if (existsSync(file)) return { id: file, source: readFileSync(file, 'utf8') }
      }
    }
    return undefined
  }
}
