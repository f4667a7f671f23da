/**
 * The little programs the Node hook and tsc tests run: a pipeline on simulated endpoints whose
 * helper throws on demand (for source maps), one that falls back to the tracer (PL201) and one the
 * compiler rejects (PL106).
 */

/** `app.ts`: prints `ECHO HELLO!`; with the argument `boom` its helper throws and it prints the stack. */
export const appSource = `import { LLMInference, Module } from 'plait'
import { simulated } from 'plait/endpoints'

class Pipeline extends Module {
  summarize = new LLMInference({ alias: 'main', system: 'SUMMARIZE' })

  forward(text: string) {
    const summary = this.summarize(text)
    const loud = shout(summary)
    return \`\${loud}!\`
  }
}

function shout(text: string): string {
  if (text.includes('boom')) throw new Error('boom in shout')
  return text.toUpperCase()
}

const endpoints = { main: simulated({ reply: (request: { messages: Array<{ content: unknown }> }) => \`echo \${String(request.messages.at(-1)?.content)}\` }) }
const pipeline = new Pipeline().bind({ endpoints })
try {
  console.log(await pipeline(process.argv[2] ?? 'hello'))
} catch (error) {
  console.log(String((error as { cause?: Error }).cause?.stack))
}
`

/** The line of `appSource` whose helper call runs as a derive node. */
export const appForwardLine = 9
/** The line of `appSource` that throws. */
export const appThrowLine = 15

/** `warn.ts`: a class with a `try` around a module call that changes a list in place (PL201): it runs through the tracer. */
export const warnSource = `import { LLMInference, Module } from 'plait'
import { simulated } from 'plait/endpoints'

class Careful extends Module {
  reply = new LLMInference({ alias: 'main' })
  forward(text: string) {
    const notes: string[] = []
    try {
      notes.push(this.reply(text))
    } catch {
      notes.push('none')
    }
    return notes.join(', ')
  }
}

const endpoints = { main: simulated({ reply: () => 'fine' }) }
console.log(await new Careful().bind({ endpoints })('x'))
`

/** `bad.ts`: a dynamic callee (PL106), which the compiler rejects. */
export const badSource = `import { LLMInference, Module } from 'plait'

export class Router extends Module {
  short = new LLMInference({ alias: 'main' })
  long = new LLMInference({ alias: 'main' })
  forward(text: string, kind: 'short' | 'long') {
    return this[kind](text)
  }
}
console.log('bad.ts ran')
`
