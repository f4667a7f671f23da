/** The `plait/esbuild` entry: plait's bundler plugin for esbuild. */
import type { Plugin } from 'esbuild'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

/**
 * plait for esbuild: compiles every `forward()`, writes graph files under `<root>/.plait/` and serves
 * `virtual:plait/graphs` (see docs/hosts.md).
 *
 * @example
 * ```ts
 * import { build } from 'esbuild'
 * import plait from 'plait/esbuild'
 * await build({ entryPoints: ['src/main.ts'], bundle: true, outdir: 'dist', plugins: [plait()] })
 * ```
 */
const plait: (options?: PlaitOptions) => Plugin = plaitUnplugin.esbuild

export default plait
export type { PlaitOptions }
