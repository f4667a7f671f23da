import { describe, expect, it } from 'vitest'
import { bufferIo, main } from '../../plugin/cli/index.js'

describe('plait --help', () => {
  it('lists every command with an example', async () => {
    const io = bufferIo(process.cwd())
    expect(await main(['--help'], io)).toBe(0)
    for (const command of ['graph', 'check', 'build', 'run']) expect(io.out()).toMatch(new RegExp(`^  ${command} `, 'm'))
    expect(io.out()).toContain('Examples:')
  })

  it('prints the tool help with exit code 2 when no command is given', async () => {
    const io = bufferIo(process.cwd())
    expect(await main([], io)).toBe(2)
    expect(io.out()).toMatch(/^Usage: plait <command>/)
  })

  it.each(['graph', 'check', 'build', 'run'])('plait %s --help shows usage, options and examples', async (command) => {
    const io = bufferIo(process.cwd())
    expect(await main([command, '--help'], io)).toBe(0)
    expect(io.out()).toMatch(new RegExp(`^Usage: plait ${command}`))
    expect(io.out()).toContain('Options:')
    expect(io.out()).toMatch(new RegExp(`Examples:\\n  plait ${command}`))
    expect(io.err()).toBe('')
  })

  it('names an unknown command or option and points at --help, exit code 2', async () => {
    const command = bufferIo(process.cwd())
    expect(await main(['grpah'], command)).toBe(2)
    expect(command.err()).toBe('plait: Unknown command `grpah`; expected one of graph, check, build, run.\nRun `plait --help` for usage.\n')
    const option = bufferIo(process.cwd())
    expect(await main(['check', '--nope'], option)).toBe(2)
    expect(option.err()).toBe('plait check: Unknown option `--nope`.\nRun `plait check --help` for usage.\n')
    const value = bufferIo(process.cwd())
    expect(await main(['run', 'x.ts', '--input'], value)).toBe(2)
    expect(value.err()).toBe('plait run: Expected option `--input` to have a value.\nRun `plait run --help` for usage.\n')
  })

  it('prints the version of the package', async () => {
    const io = bufferIo(process.cwd())
    expect(await main(['--version'], io)).toBe(0)
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+/)
  })
})
