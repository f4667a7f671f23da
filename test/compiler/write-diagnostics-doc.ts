/** Writes docs/diagnostics.md from the catalogue (`npm run docs:diagnostics`). */
import { writeFileSync } from 'node:fs'
import { diagnosticsMarkdown } from '../../plugin/compiler/diagnostics.js'
import { root } from './golden.js'

writeFileSync(`${root}docs/diagnostics.md`, diagnosticsMarkdown())
console.log('Wrote docs/diagnostics.md')
