/**
 * Heap retained by S1 after it finishes: a child process per side (`--expose-gc`), warmed up,
 * collected, then `runs` sequential runs, collected again. Retained per run = growth / runs.
 */
import { fileURLToPath } from 'node:url'
import { runNode } from './lib/spawn.js'

export interface HeapResult {
  mode: 'plait' | 'baseline'
  runs: number
  /** heapUsed in bytes after warm-up, after half the runs, and after all of them (each after full GCs). */
  before: number
  middle: number
  after: number
}

const probe = fileURLToPath(new URL('./probes/heap.ts', import.meta.url))
/** The same plait as the bench process (the built package, see lib/use-built-package.mjs; already built). */
const usePackage = fileURLToPath(new URL('./lib/use-built-package.mjs', import.meta.url))

/** Both sides at once (they wait on the server, not on the CPU). */
export async function heapRetained(url: string, runs: number): Promise<{ plait: HeapResult; baseline: HeapResult }> {
  const spawnSide = async (mode: 'plait' | 'baseline') => {
    const { stdout } = await runNode(['--expose-gc', '--import', 'tsx', '--conditions=plait-source', '--import', usePackage, probe, url, mode, String(runs)])
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as HeapResult
  }
  const [plait, baseline] = await Promise.all([spawnSide('plait'), spawnSide('baseline')])
  return { plait, baseline }
}
