/**
 * plait for webpack.
 *
 * @example
 * ```ts
 * // webpack.config.js
 * import plait from 'plait/webpack'
 * export default { plugins: [plait()], module: { rules: [{ test: /\.ts$/, loader: 'ts-loader' }] } }
 * ```
 */
import type { WebpackPluginInstance } from 'webpack'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

const plait: (options?: PlaitOptions) => WebpackPluginInstance = plaitUnplugin.webpack

export default plait
export type { PlaitOptions }
