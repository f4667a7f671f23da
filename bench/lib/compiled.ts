/**
 * The compiled version of a scenario's module class, as a build step would make it: the scenario
 * file goes through `compile()` and the result is written beside it (so its relative imports
 * still resolve), imported, and removed again.
 */
import { rmSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { formatDiagnostic } from 'plait'
import { compile } from '../../plugin/compiler/index.js'
import { repoRoot } from './mock-server.js'

/**
 * Compiles the scenario file at `url` and returns its export `name`, which must be a class the
 * compiler compiled (not left to the tracer).
 *
 * @example
 * ```ts
 * const Compiled = await compiledExport<typeof Chain>(new URL('../scenarios/s4-chain.ts', import.meta.url), 'Chain')
 * ```
 */
export async function compiledExport<T>(url: URL, name: string): Promise<T> {
  const file = fileURLToPath(url)
  const { code, graphs, diagnostics } = compile(readFileSync(file, 'utf8'), file, { root: repoRoot })
  if (!graphs.some((graph) => graph.name === name)) {
    throw new Error(`Expected the compiler to compile ${name} in ${file}; it did not:\n${diagnostics.map(formatDiagnostic).join('\n')}`)
  }
  const target = join(dirname(file), `.${basename(file, '.ts')}.compiled.ts`)
  writeFileSync(target, code)
  try {
    const loaded = (await import(pathToFileURL(target).href)) as Record<string, unknown>
    return loaded[name] as T
  } finally {
    rmSync(target, { force: true })
  }
}
