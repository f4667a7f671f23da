// A forward() left to the runtime tracer (PL203, a warning; an error with `strict: true`).
import { LLMInference, Module } from 'plait'

export class Streamed extends Module<[AsyncIterable<string>], Promise<string>> {
  a = new LLMInference({ alias: 'main', system: 'A' })

  async forward(stream: AsyncIterable<string>): Promise<string> {
    let all = ''
    for await (const chunk of stream) all += this.a(chunk)
    return all
  }
}
