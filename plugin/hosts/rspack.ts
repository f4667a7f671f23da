/** The `plait/rspack` entry: plait's bundler plugin for Rspack. */
import type { RspackPluginInstance } from '@rspack/core'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

/**
 * plait for Rspack: compiles every `forward()`, writes graph files under `<root>/.plait/` and serves
 * `virtual:plait/graphs` (see docs/hosts.md).
 *
 * @example
 * ```ts
 * // rspack.config.js
 * import plait from 'plait/rspack'
 * export default { entry: './src/main.ts', plugins: [plait()] }
 * ```
 */
const plait: (options?: PlaitOptions) => RspackPluginInstance = plaitUnplugin.rspack

export default plait
export type { PlaitOptions }
