/**
 * plait for Vite.
 *
 * @example
 * ```ts
 * // vite.config.ts (vitest uses it too)
 * import { defineConfig } from 'vite'
 * import plait from 'plait/vite'
 * export default defineConfig({ plugins: [plait()] })
 * ```
 */
import type { Plugin } from 'vite'
import type { PlaitOptions } from '../types.js'
import { plaitUnplugin } from '../unplugin.js'

const plait: (options?: PlaitOptions) => Plugin = plaitUnplugin.vite

export default plait
export type { PlaitOptions }
