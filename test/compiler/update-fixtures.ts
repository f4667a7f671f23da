/**
 * Rewrites the expected outputs of every compiler fixture (`npm run fixtures:update`). Review the
 * diff as text before committing it.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { existingGoldenFiles, fixtureNames, fixturesDir, goldenFiles } from './golden.js'

let written = 0
for (const name of fixtureNames()) {
  for (const stale of existingGoldenFiles(name)) rmSync(`${fixturesDir}${stale}`)
  for (const [file, text] of Object.entries(goldenFiles(name))) {
    writeFileSync(`${fixturesDir}${file}`, text)
    written++
  }
}
console.log(`Wrote ${written} expected files for ${fixtureNames().length} fixtures.`)
