/** The `plait/webpack` entry: plait's bundler plugin for webpack 5. */
import type { WebpackPluginInstance } from 'webpack'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

/**
 * plait for webpack 5: compiles every `forward()`, writes graph files under `<root>/.plait/` and serves
 * `virtual:plait/graphs` (see docs/hosts.md).
 *
 * @example
 * ```ts
 * // webpack.config.js: plait runs as a pre loader, before your TypeScript loader
 * import plait from 'plait/webpack'
 * export default { entry: './src/main.ts', module: { rules: [{ test: /\.ts$/, loader: 'ts-loader' }] }, plugins: [plait()] }
 * ```
 */
const plait: (options?: PlaitOptions) => WebpackPluginInstance = plaitUnplugin.webpack

export default plait
export type { PlaitOptions }
