/**
 * The user's TypeScript, found from their project: the `typescript` API (to read tsconfig) and the
 * `tsc` bin (to emit), falling back to the copy next to plait.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type * as TS from 'typescript'

/**
 * The path of `typescript/<subpath>` as resolved from `from` (a file in the user's project), or from
 * plait itself when the project has none; `undefined` when neither has TypeScript.
 *
 * @example
 * ```ts
 * resolveTypeScript('/repo/tsconfig.json', 'bin/tsc') // '/repo/node_modules/typescript/bin/tsc'
 * ```
 */
export function resolveTypeScript(from: string, subpath = ''): string | undefined {
  const specifier = subpath === '' ? 'typescript' : `typescript/${subpath}`
  for (const base of [from, import.meta.url]) {
    try {
      return createRequire(base).resolve(specifier)
    } catch {
      // Not installed there: try the next place.
    }
  }
  return undefined
}

/**
 * Loads the `typescript` API the project uses.
 *
 * @example
 * ```ts
 * const ts = await loadTypeScript('/repo/tsconfig.json')
 * ts.version // '5.9.3'
 * ```
 */
export async function loadTypeScript(from: string): Promise<typeof TS> {
  const path = resolveTypeScript(from)
  if (path === undefined) throw new Error(`Expected the \`typescript\` package to be installed in the project (\`npm install --save-dev typescript\`); found none from ${from}.`)
  const loaded = (await import(pathToFileURL(path).href)) as { default?: typeof TS } & typeof TS
  return loaded.default ?? loaded
}

/** A tsconfig read with the TypeScript API. */
export interface ProjectConfig {
  /** Absolute path of the tsconfig. */
  path: string
  /** Its compiler options, paths resolved. */
  options: TS.CompilerOptions
  /** The files its `files`/`include`/`exclude` select, absolute. */
  fileNames: string[]
}

/**
 * Reads a tsconfig (following `extends`) and lists the files it selects. Config errors throw with
 * TypeScript's own messages.
 *
 * @example
 * ```ts
 * const { options, fileNames } = readProjectConfig(ts, '/repo/tsconfig.json')
 * ```
 */
export function readProjectConfig(ts: typeof TS, path: string): ProjectConfig {
  const host: TS.FormatDiagnosticsHost = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' }
  const read = ts.readConfigFile(path, ts.sys.readFile)
  if (read.error) throw new Error(ts.formatDiagnostics([read.error], host).trim())
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirnameOf(path), undefined, path)
  const errors = parsed.errors.filter((error) => error.category === ts.DiagnosticCategory.Error)
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, host).trim())
  return { path, options: parsed.options, fileNames: parsed.fileNames }
}

function dirnameOf(path: string): string {
  return path.replace(/[\\/][^\\/]*$/, '')
}
