/**
 * plait for Rollup.
 *
 * @example
 * ```ts
 * // rollup.config.js (after a TypeScript plugin or before it)
 * import plait from 'plait/rollup'
 * export default { input: 'src/main.ts', plugins: [plait(), typescript()] }
 * ```
 */
import type { Plugin } from 'rollup'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

const plait: (options?: PlaitOptions) => Plugin = plaitUnplugin.rollup

export default plait
export type { PlaitOptions }
