/** The `plait/vite` entry: plait's bundler plugin for Vite (vitest reads the same config). */
import type { Plugin } from 'vite'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

/**
 * plait for Vite (vitest reads the same config): compiles every `forward()`, writes graph files under `<root>/.plait/` and serves
 * `virtual:plait/graphs` (see docs/hosts.md).
 *
 * @example
 * ```ts
 * // vite.config.ts
 * import { defineConfig } from 'vite'
 * import plait from 'plait/vite'
 * export default defineConfig({ plugins: [plait()] })
 * ```
 */
const plait: (options?: PlaitOptions) => Plugin = plaitUnplugin.vite

export default plait
export type { PlaitOptions }
