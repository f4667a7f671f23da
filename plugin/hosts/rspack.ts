/**
 * plait for Rspack.
 *
 * @example
 * ```ts
 * // rspack.config.js
 * import plait from 'plait/rspack'
 * export default { plugins: [plait()] }
 * ```
 */
import type { RspackPluginInstance } from '@rspack/core'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

const plait: (options?: PlaitOptions) => RspackPluginInstance = plaitUnplugin.rspack

export default plait
export type { PlaitOptions }
