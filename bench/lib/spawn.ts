/** Runs a child process to completion and gives its stdout (throws with stderr on failure). */
import { spawn } from 'node:child_process'
import { repoRoot } from './mock-server.js'

export function runNode(args: string[], options: { allowFailure?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      if (code !== 0 && !options.allowFailure) reject(new Error(`node ${args.slice(0, 3).join(' ')} … exited with ${code}:\n${stderr || stdout}`))
      else resolve({ code: code ?? 1, stdout, stderr })
    })
  })
}
