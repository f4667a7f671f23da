/**
 * The fallback for plain Node 20 (and newer Node without type stripping): when no other loader
 * can load a `.ts` file, the hook strips its types itself with TypeScript's `transpileModule`
 * (one file at a time, no type checking; `typescript` is the optional peer dependency the
 * compiler already needs).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import ts from 'typescript'
import type { SourceMapInput } from '../compiler/index.js'

/** The module format Node gives a JavaScript file. */
export type ModuleFormat = 'module' | 'commonjs'

const typeScriptFile = /\.(?:[cm]?ts|tsx)$/

/**
 * Whether `file` is TypeScript that Node cannot load without a loader.
 *
 * @example
 * ```ts
 * isTypeScriptFile('/repo/app.mts') // true
 * ```
 */
export function isTypeScriptFile(file: string): boolean {
  return typeScriptFile.test(file)
}

/**
 * The format Node uses for `file` once its types are stripped: `.mts` is ESM, `.cts` CommonJS,
 * `.ts`/`.tsx` follow the `"type"` of the nearest package.json (as Node's own type stripping does).
 *
 * @example
 * ```ts
 * formatOf('/repo/src/app.ts') // 'module' when /repo/package.json says "type": "module"
 * ```
 */
export function formatOf(file: string): ModuleFormat {
  if (file.endsWith('.mts')) return 'module'
  if (file.endsWith('.cts')) return 'commonjs'
  return packageTypeOf(dirname(file)) === 'module' ? 'module' : 'commonjs'
}

function packageTypeOf(folder: string): string | undefined {
  for (let current = folder; ; current = dirname(current)) {
    const manifest = join(current, 'package.json')
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type
      } catch {
        return undefined
      }
    }
    if (dirname(current) === current) return undefined
  }
}

/**
 * Strips the types of one TypeScript file (no type checking), keeping its module syntax for ESM
 * and converting it for CommonJS. Returns JavaScript and its source map.
 *
 * @example
 * ```ts
 * const { code, map } = stripTypes('const a: number = 1', '/repo/app.ts', 'module')
 * // code: 'const a = 1;\n', map.sources: ['/repo/app.ts']
 * ```
 */
export function stripTypes(source: string, file: string, format: ModuleFormat): { code: string; map: SourceMapInput } {
  const output = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      jsx: ts.JsxEmit.ReactJSX,
      esModuleInterop: true,
      ...projectOptionsOf(dirname(file)),
      module: format === 'module' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      moduleResolution: undefined,
      sourceMap: true,
      inlineSourceMap: false,
      inlineSources: true,
      declaration: false,
      declarationMap: false,
      emitDeclarationOnly: false,
      noEmit: false,
      verbatimModuleSyntax: false,
      isolatedModules: true,
    },
  })
  const map = JSON.parse(output.sourceMapText ?? '{"version":3,"sources":[],"names":[],"mappings":""}') as SourceMapInput
  map.sources = [file]
  delete map.sourceRoot
  const code = output.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n')
  return { code, map }
}

const projectOptions = new Map<string, ts.CompilerOptions>()

/**
 * The compiler options of the nearest tsconfig.json (following `extends`), so that stripping
 * honours the project's `target`, `jsx`, `experimentalDecorators` and class-field semantics.
 * Files are not enumerated: only the options are read.
 */
function projectOptionsOf(folder: string): ts.CompilerOptions {
  const configFile = ts.findConfigFile(folder, ts.sys.fileExists)
  if (configFile === undefined) return {}
  let options = projectOptions.get(configFile)
  if (options === undefined) {
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile)
    const host = { ...ts.sys, readDirectory: () => [] }
    options = config === undefined ? {} : ts.parseJsonConfigFileContent(config, host, dirname(configFile), undefined, configFile).options
    projectOptions.set(configFile, options)
  }
  return options
}
