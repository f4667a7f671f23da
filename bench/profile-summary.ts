/**
 * Summarizes a V8 .cpuprofile: self time and inclusive time per function (file:line), top N.
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}

const [file, topText = '25'] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

const nameOf = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame
  const short = url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/[^/]+|src|runtime|bench|test)\//, '$1/')
  return `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`
}

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
let total = 0
for (let index = 0; index < profile.samples.length; index++) {
  const dt = profile.timeDeltas[index] ?? 0
  total += dt
  const leaf = byId.get(profile.samples[index]!)!
  self.set(nameOf(leaf), (self.get(nameOf(leaf)) ?? 0) + dt)
  const seen = new Set<string>()
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const name = nameOf(byId.get(id)!)
    if (seen.has(name)) continue
    seen.add(name)
    inclusive.set(name, (inclusive.get(name) ?? 0) + dt)
  }
}
const top = Number(topText)
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`)
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * time) / total).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(0).padStart(6)} ms  ${name}`)
}
show('Self time', self)
show('Inclusive time', inclusive)
