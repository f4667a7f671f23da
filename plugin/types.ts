/**
 * The public contract of plait's build-time hosts: the options every host takes (Vite, Rollup,
 * esbuild, webpack, Rspack, the Node hook, the ts-patch transformer and the CLI), in one place.
 */
import type { Diagnostic, Graph } from '../src/graph/types.js'

/** A file filter: a glob string, a regular expression, or a list of them. */
export type FilterPattern = string | RegExp | ReadonlyArray<string | RegExp>

/**
 * Options of every plait host.
 *
 * @example
 * ```ts
 * // vite.config.ts
 * import plait from 'plait/vite'
 * export default { plugins: [plait({ strict: true, include: ['src/**\/*.ts'] })] }
 * ```
 */
export interface PlaitOptions {
  /** Files to compile. Default: every `.ts`, `.tsx`, `.mts`, `.cts`, `.js`, `.jsx`, `.mjs` and `.cjs` file outside `node_modules`. */
  include?: FilterPattern
  /** Files never to compile. Default: `node_modules` and `.plait`. */
  exclude?: FilterPattern
  /** Project root: graph files and locations use paths relative to it. Default: the host's root, or `process.cwd()`. */
  root?: string
  /** Tracer fallbacks (PL2xx) fail the build instead of warning. Default: `false`. */
  strict?: boolean
  /** Write graph files under `<root>/.plait/`. Default: `true`. */
  graphs?: boolean
  /**
   * Return a source map with the compiled code. Default: what the host's build asks for — no map
   * in a Vite build without `build.sourcemap`, a webpack/Rspack build with `devtool: false` or an
   * esbuild build without `sourcemap` —, a map otherwise (dev servers, Rollup, the Node hook).
   */
  sourceMap?: boolean
  /**
   * Keep what each file compiled to on disk, so that a later build compiles only the files that
   * changed: `true` for `<root>/node_modules/.cache/plait`, a folder (relative to the root), or
   * `false` for none. Entries are keyed by the file's text, the texts of the files its classes
   * extend, `strict`, the root and the compiler itself (a hash of its sources). Default: on, in
   * `<root>/node_modules/.cache/plait`, when the root has a `node_modules` folder.
   */
  cache?: boolean | string
}

/** What compiling one file gave a host. */
export interface TransformOutput {
  /** The generated code, or `undefined` when the file holds no plait module (leave it to the next plugin). */
  code?: string
  /** The source map of the edit, composed with the incoming one. */
  map?: import('./compiler/sourcemap.js').SourceMap | null
  /** Graphs of the compiled classes. */
  graphs: Graph[]
  /** Every diagnostic; errors are also thrown by `transform` as a `PlaitBuildError`. */
  diagnostics: Diagnostic[]
  /** Source files whose classes this one extends (watch them: a change there recompiles this file). */
  dependencies: string[]
  /** Graph files written or removed (root-relative). */
  written: string[]
}
