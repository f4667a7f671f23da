/**
 * Runs generated module code in-process: the code's imports ('plait', 'plait/compiled', the
 * fixture helpers) are handed in as names, so a program needs no file and no bundler.
 */
import { LLMInference, Module, type Endpoint } from 'plait'
import { enter, mark, sites } from 'plait/compiled'
import { simulated, type CompletionRequest } from 'plait/endpoints'
import '../support/quiet-tracer-warnings.js'
import { solo } from './solo.js'

export const effects: string[] = []
export const record = (...values: unknown[]) => void effects.push(values.map(String).join(' '))
export const shout = (text: string) => `${String(text).toUpperCase()}!`
export const seqMap = async <T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>) => {
  const out: R[] = []
  for (let index = 0; index < items.length; index++) out.push(await fn(items[index]!, index))
  return out
}
const systemText = (request: CompletionRequest) => request.messages[0]!.content
const userText = (request: CompletionRequest) => request.messages.at(-1)!.content
/** Replies `SYSTEM(input)`; fails (as an endpoint error) when the input holds `boom`, so that programs can catch failed calls. */
export const endpoint: Endpoint = simulated({
  reply: (request) => {
    if (userText(request).includes('boom')) throw new Error(`the endpoint failed on ${userText(request).slice(0, 40)}`)
    return `${systemText(request)}(${userText(request).slice(0, 40)})`
  },
})

/** Evaluates module code whose imports are the names given here. */
export function load(code: string): new () => Module {
  const body = code.replace(/import\s*\{[^}]*\}\s*from\s*'[^']*';?/g, '').replace('export class Generated', 'class Generated')
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('LLMInference', 'Module', 'enter', '$mark', '$sites', 'record', 'shout', '__seqMap', '__solo', `${body}\nreturn Generated`) as (...args: unknown[]) => new () => Module
  return factory(LLMInference, Module, enter, mark, sites, record, shout, seqMap, solo)
}

export async function run(Pipeline: new () => Module, input: string) {
  effects.length = 0
  try {
    const value = await new Pipeline().bind({ endpoints: { main: endpoint } })(input)
    return { value, effects: [...effects] }
  } catch (error) {
    // Compiled and sequential runs name different nodes; the cause must be the same.
    return { error: String((error as Error).message)
      .replace(/^.* failed: /, '')
      .replace(/\S+\.(\w+) is not a function.*/, '$1 is not a function'), effects: [...effects] }
  }
}

