/**
 * A full garbage collection on demand. `npm run bench` cannot pass `--expose-gc`, so the flag is
 * set at run time and `gc` is taken from a fresh context (a documented V8 trick); with
 * `--expose-gc` on the command line the global one is used.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const exposed = (globalThis as { gc?: () => void }).gc

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Runs a full collection twice (the second one frees what finalizers of the first released). */
export const fullGc: () => void = (() => {
  const gc = exposed ?? exposeGc()
  return () => {
    gc()
    gc()
  }
})()

/** Whether timed samples start with a full GC: yes, unless `BENCH_NO_GC=1` (to see what it costs each side). */
export const gcBeforeSamples = process.env['BENCH_NO_GC'] === undefined
