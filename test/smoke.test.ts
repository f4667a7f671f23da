import { describe, it, expect } from 'vitest'
import { Module, LLMInference, Parameter, toMermaid } from 'plait'
import { simulated } from 'plait/endpoints'

class ExtractAndCompare extends Module<[doc1: string, doc2: string], string> {
  style = new Parameter('Highlight key similarities and differences.', { description: 'Style.' })
  extractor = new LLMInference({ alias: 'fast', system: 'Extract the main facts.' })
  comparer = new LLMInference({ alias: 'smart', system: this.style })
  forward(doc1: string, doc2: string): string {
    const facts1 = this.extractor(doc1)
    const facts2 = this.extractor(doc2)
    return this.comparer(`Compare:\n${facts1}\n\nvs:\n${facts2}`)
  }
}

describe('smoke', () => {
  it('runs', async () => {
    const m = new ExtractAndCompare()
    const p = m.bind({ endpoints: { fast: simulated({ latencyMs: 100 }), smart: simulated({ latencyMs: 100 }) } })
    const t = performance.now()
    const out = await p('doc one about cats', 'doc two about dogs')
    console.log(out, performance.now() - t)
    console.log(toMermaid(m.graph('a', 'b')))
    console.log([...m.namedModules()].map(([p]) => p), [...m.namedParameters()].map(([p]) => p))
  })
})
