/**
 * plait for esbuild.
 *
 * @example
 * ```ts
 * import { build } from 'esbuild'
 * import plait from 'plait/esbuild'
 * await build({ entryPoints: ['src/main.ts'], bundle: true, plugins: [plait()] })
 * ```
 */
import type { Plugin } from 'esbuild'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

const plait: (options?: PlaitOptions) => Plugin = plaitUnplugin.esbuild

export default plait
export type { PlaitOptions }
