// Test-only webpack loader: strips TypeScript with esbuild and composes its source map with the
// incoming one (from plait, which runs first as a `pre` loader).
import remapping from '@jridgewell/remapping'
import { transform } from 'esbuild'

export default function stripTypes(source, inputMap) {
  const callback = this.async()
  transform(source, { loader: 'ts', sourcemap: 'external', sourcefile: this.resourcePath, format: 'esm' }).then(
    (result) => {
      const map = JSON.parse(result.map)
      callback(null, result.code, inputMap ? remapping([map, typeof inputMap === 'string' ? JSON.parse(inputMap) : inputMap], () => null) : map)
    },
    (error) => callback(error),
  )
}
