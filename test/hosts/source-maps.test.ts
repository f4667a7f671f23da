/**
 * Source maps only where the build reads them: `sourceMap: false` gives the same code without a
 * map, and the plugin asks for one according to the host's configuration (a Vite build without
 * `build.sourcemap` reads none; a dev server always does).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { transformFile } from '../../plugin/transform.js'
import { plaitPluginOptions } from '../../plugin/unplugin.js'
import { makeProject } from './project.js'

const project = makeProject()
afterAll(() => project.remove())

const file = join(project.root, 'fixtures/compiler/extract-and-compare.ts')
const code = readFileSync(file, 'utf8')

/** The plugin's transform after Vite resolved a config for `command`, with `build.sourcemap` as given. */
function viteTransform(command: 'build' | 'serve', sourcemap: boolean, options = {}) {
  const hooks = plaitPluginOptions({ cache: false, graphs: false, ...options })
  const configResolved = hooks.vite!.configResolved as (config: unknown) => void
  configResolved({ root: project.root, command, build: { sourcemap, outDir: 'dist' } })
  const transform = hooks.transform as { handler: (this: unknown, code: string, id: string) => Promise<{ code: string; map: unknown }> }
  const context = { warn: () => undefined, error: (error: unknown) => { throw error }, addWatchFile: () => undefined }
  return Promise.resolve(transform.handler.call(context, code, file))
}

describe('source maps', () => {
  it('are left out with sourceMap: false, and the code is the same', () => {
    const withMap = transformFile({ code, id: file }, { root: project.root, cache: false, graphs: false })
    const without = transformFile({ code, id: file }, { root: project.root, cache: false, graphs: false, sourceMap: false })
    expect(withMap.map?.mappings).toBeTruthy()
    expect(without.map).toBeNull()
    expect(without.code).toBe(withMap.code)
  })

  it('follow what the Vite config asks for, unless the option says otherwise', async () => {
    expect((await viteTransform('build', false)).map).toBeNull()
    expect((await viteTransform('build', true)).map).toMatchObject({ version: 3 })
    expect((await viteTransform('serve', false)).map).toMatchObject({ version: 3 })
    expect((await viteTransform('build', false, { sourceMap: true })).map).toMatchObject({ version: 3 })
  })

  it('are part of the cache key: a build that wants a map never gets a map-less entry', () => {
    const cacheFolder = join(project.root, 'node_modules/.cache/plait-maps')
    const without = transformFile({ code, id: file }, { root: project.root, cache: cacheFolder, graphs: false, sourceMap: false })
    const withMap = transformFile({ code, id: file }, { root: project.root, cache: cacheFolder, graphs: false })
    expect(without.map).toBeNull()
    expect(withMap.map).toMatchObject({ version: 3 })
  })
})
