/** The `plait/rollup` entry: plait's bundler plugin for Rollup. */
import type { Plugin } from 'rollup'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

/**
 * plait for Rollup: compiles every `forward()`, writes graph files under `<root>/.plait/` and serves
 * `virtual:plait/graphs` (see docs/hosts.md).
 *
 * @example
 * ```ts
 * // rollup.config.js: plait first, then the plugin that strips types
 * import typescript from '@rollup/plugin-typescript'
 * import plait from 'plait/rollup'
 * export default { input: 'src/main.ts', output: { dir: 'dist' }, plugins: [plait(), typescript()] }
 * ```
 */
const plait: (options?: PlaitOptions) => Plugin = plaitUnplugin.rollup

export default plait
export type { PlaitOptions }
