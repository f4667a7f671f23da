/**
 * Module hooks (see use-built-package.mjs): `plait` and `plait/<entry>` resolve to the package as
 * built for publishing in `data.dir` (`index.js`, `<entry>.js`) instead of the sources.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

let dir

export function initialize(data) {
  dir = data.dir
}

export function resolve(specifier, context, next) {
  if (specifier === 'plait' || specifier.startsWith('plait/')) {
    const file = join(dir, `${specifier === 'plait' ? 'index' : specifier.slice('plait/'.length)}.js`)
    if (existsSync(file)) return { url: pathToFileURL(file).href, format: 'module', shortCircuit: true }
  }
  return next(specifier, context)
}
