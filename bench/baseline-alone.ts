/** Runs bench/probes/baseline-alone.ts: baselines in a process with no plait run (see there why). */
import { fileURLToPath } from 'node:url'
import { runNode } from './lib/spawn.js'

const probe = fileURLToPath(new URL('./probes/baseline-alone.ts', import.meta.url))

/** Median wall and client CPU (ms) per scenario. */
export async function baselineAlone(url: string, reps: number, scenarios: string[]): Promise<Record<string, { wall: number; cpu: number }>> {
  const { stdout } = await runNode(['--import', 'tsx', '--conditions=plait-source', probe, url, String(reps), ...scenarios])
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, { wall: number; cpu: number }>
}
