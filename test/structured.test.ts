import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { LLMInference, Module, NodeError, OutputValidationError } from 'plait'
import { simulated, type CompletionRequest } from 'plait/endpoints'

const Review = z.object({ label: z.enum(['positive', 'negative']), confidence: z.number().min(0).max(1) })

class Classify extends Module<[string], { label: 'positive' | 'negative'; confidence: number }> {
  classifier = new LLMInference({ alias: 'main', system: 'Classify the sentiment.', output: Review })
  forward(review: string) {
    return this.classifier(review)
  }
}

/** An endpoint answering the scripted replies in order, keeping every request. */
function scripted(...replies: string[]) {
  const requests: CompletionRequest[] = []
  const endpoint = simulated({
    reply: (request, context) => {
      requests.push(structuredClone(request))
      return replies[Math.min(context.index, replies.length - 1)]!
    },
  })
  return { endpoint, requests }
}

describe('structured output', () => {
  it('asks for JSON with the schema, parses and types the reply', async () => {
    const { endpoint, requests } = scripted('{"label":"positive","confidence":0.9}')
    const result = await new Classify().bind({ endpoints: { main: endpoint } })('Great!')
    expect(result).toEqual({ label: 'positive', confidence: 0.9 })
    expectTypeOf(result).toEqualTypeOf<{ label: 'positive' | 'negative'; confidence: number }>()
    expect(requests[0]!.responseFormat).toMatchObject({ type: 'json_schema', name: 'classifier', schema: { type: 'object', required: ['label', 'confidence'] } })
  })

  it('accepts a reply inside a Markdown code fence', async () => {
    const { endpoint } = scripted('```json\n{"label":"negative","confidence":0.2}\n```')
    expect(await new Classify().bind({ endpoints: { main: endpoint } })('Bad.')).toEqual({ label: 'negative', confidence: 0.2 })
  })

  it('re-asks an invalid reply with the issues, then succeeds', async () => {
    const { endpoint, requests } = scripted('not json', '{"label":"meh","confidence":2}', '{"label":"negative","confidence":0.1}')
    expect(await new Classify().bind({ endpoints: { main: endpoint } })('Hm.')).toEqual({ label: 'negative', confidence: 0.1 })
    expect(requests).toHaveLength(3)
    const reask = requests[2]!.messages
    expect(reask.at(-2)).toEqual({ role: 'assistant', content: '{"label":"meh","confidence":2}' })
    expect(reask.at(-1)!.content).toMatch(/label: .*; confidence: /)
  })

  it('fails after the bounded re-asks with the validation issues', async () => {
    const { endpoint, requests } = scripted('{"label":"meh","confidence":0.5}')
    const error = await new Classify()
      .bind({ endpoints: { main: endpoint } })('Hm.')
      .catch((caught: unknown) => caught)
    expect(requests).toHaveLength(3)
    expect(error).toBeInstanceOf(NodeError)
    const cause = (error as NodeError).cause as OutputValidationError
    expect(cause).toBeInstanceOf(OutputValidationError)
    expect(cause.issues).toHaveLength(1)
    expect(cause.issues[0]).toMatch(/^label: /)
    expect((error as Error).message).toMatch(/Node `classifier` .* failed: Expected a reply that fits the output schema; 3 replies did not\. Issues of the last one: label: /)
  })

  it('works with valibot (JSON mode) and arktype (JSON schema)', async () => {
    const withValibot = new LLMInference({ alias: 'main', output: v.object({ n: v.number() }) })
    const withArktype = new LLMInference({ alias: 'main', output: type({ n: 'number' }) })
    expectTypeOf(withValibot).toEqualTypeOf<LLMInference<{ n: number }>>()
    const first = scripted('{"n":1}')
    expect(await withValibot.bind({ endpoints: { main: first.endpoint } })('x')).toEqual({ n: 1 })
    expect(first.requests[0]!.responseFormat).toEqual({ type: 'json_object' })
    const second = scripted('{"n":2}')
    expect(await withArktype.bind({ endpoints: { main: second.endpoint } })('x')).toEqual({ n: 2 })
    expect(second.requests[0]!.responseFormat).toMatchObject({ type: 'json_schema' })
  })

  it('lets forward() select fields of a structured result', async () => {
    class Label extends Module<[string], string> {
      classifier = new LLMInference({ alias: 'main', output: Review })
      explain = new LLMInference({ alias: 'main', system: 'Explain.' })
      forward(review: string): string {
        const { label } = this.classifier(review)
        return this.explain(`Why is this ${label}?`)
      }
    }
    const { endpoint, requests } = scripted('{"label":"positive","confidence":1}', 'Because.')
    expect(await new Label().bind({ endpoints: { main: endpoint } })('Yay')).toBe('Because.')
    expect(requests[1]!.messages.at(-1)!.content).toBe('Why is this positive?')
  })

  it('checks options at construction', () => {
    expect(() => new LLMInference({ alias: 'main', output: { parse() {} } as never })).toThrow(/Expected `output` to be a Standard Schema/)
    expect(() => new LLMInference({ alias: '' })).toThrow(/Expected `alias` to be a non-empty string/)
    expect(() => new LLMInference({ alias: 'a', temperature: Number.NaN })).toThrow(/Expected `temperature` to be a finite number/)
  })
})
