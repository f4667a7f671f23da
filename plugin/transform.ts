/**
 * What every host does with one file: decide whether to compile it, compile it with the light
 * resolver (so `extends` is followed across local files), write its graph files, and turn errors
 * into one build error with every diagnostic formatted. Hosts differ only in how they hand the
 * file over and report warnings. The steps that need no compiler are in transform-steps.ts.
 */
import { compile } from './compiler/index.js'
import { textHash, type CachedCompile, type CompileCache } from './compile-cache.js'
import { nodeResolver } from './compiler/resolve.js'
import { mentionsPlait } from './file-filter.js'
import { finish, lookUp, type TransformFileInput } from './transform-steps.js'
import type { PlaitOptions, TransformOutput } from './types.js'

export { PlaitBuildError } from './build-error.js'
export { fileFilter, mentionsPlait, mentionsPlaitPattern } from './file-filter.js'
export type { TransformFileInput } from './transform-steps.js'

/**
 * Compiles one file for a host. A file that never mentions plait (no `'plait'` import, no
 * `'use plait'` directive) is not parsed at all. Throws `PlaitBuildError` when a forward() has an
 * error (PL1xx, or PL2xx in strict mode); warnings are returned in `diagnostics`.
 *
 * With the compile cache on (the default where the root has `node_modules`), a file whose text
 * and bases did not change since the last build is not compiled again, and its graph files are
 * left alone while they are as that build left them. `cache` is the host's own cache (saved when
 * its build ends); without it the process's shared one is used (saved right after a store).
 *
 * @example
 * ```ts
 * const output = transformFile({ code, id: '/repo/src/app.ts' }, { root: '/repo' })
 * for (const warning of output.diagnostics) console.warn(formatDiagnostic(warning))
 * ```
 */
export function transformFile(input: TransformFileInput, options: PlaitOptions = {}, cache?: CompileCache): TransformOutput {
  if (!mentionsPlait(input.code)) return { graphs: [], diagnostics: [], dependencies: [], written: [] }
  const lookup = lookUp(input, options, cache)
  return finish(lookup.cached ?? compileFile(input, lookup.root, lookup.strict, lookup.sourceMap), lookup, options)
}

/**
 * Compiles one file, following `extends` (and composite children) across local files on disk and
 * noting each file read with a hash of its text.
 *
 * @example
 * ```ts
 * const { graphs, dependencies } = compileFile({ code, id: '/repo/src/app.ts' }, '/repo', false)
 * ```
 */
export function compileFile(input: TransformFileInput, root: string, strict: boolean, sourceMap = true): CachedCompile {
  const dependencies = new Map<string, string>()
  const resolveFromDisk = nodeResolver()
  const result = compile(input.code, input.id.replace(/\?.*$/, ''), {
    root,
    strict,
    sourceMap,
    inputMap: input.inputMap,
    resolve: (specifier, importer) => {
      const found = resolveFromDisk(specifier, importer)
      if (found) dependencies.set(found.id, textHash(found.source))
      return found
    },
  })
  return {
    code: result.code === input.code ? undefined : result.code,
    map: result.map,
    graphs: result.graphs,
    diagnostics: result.diagnostics,
    dependencies: [...dependencies].map(([file, hash]) => ({ file, hash })),
  }
}
