import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sampleFromJsonSchema } from '../../runtime/endpoints/json-schema-sample.js'

describe('sampleFromJsonSchema', () => {
  it('fills objects, strings from the text, numbers in range, arrays of 1–2 items, first enum values', () => {
    const value = sampleFromJsonSchema(
      {
        type: 'object',
        properties: {
          title: { type: 'string', maxLength: 12 },
          count: { type: 'integer', minimum: 5, maximum: 7 },
          ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          step: { type: 'number', multipleOf: 0.25, minimum: 1, maximum: 2 },
          items: { type: 'array', items: { type: 'string' } },
          level: { enum: ['low', 'high'] },
          fixed: { const: 42 },
          maybe: { type: ['null', 'boolean'] },
        },
        required: ['title', 'count', 'ratio', 'step', 'items', 'level', 'fixed', 'maybe'],
      },
      { text: 'Quarterly report on sales', seed: 's' },
    ) as Record<string, unknown>
    expect(value['title']).toBe('title: Quart')
    expect(value['count']).toBeGreaterThanOrEqual(5)
    expect(value['count']).toBeLessThanOrEqual(7)
    expect(Number.isInteger(value['count'])).toBe(true)
    expect(value['ratio']).toBeGreaterThan(0)
    expect(value['ratio']).toBeLessThan(1)
    expect([1, 1.25, 1.5, 1.75, 2]).toContain(value['step'])
    expect((value['items'] as unknown[]).length).toBeGreaterThanOrEqual(1)
    expect((value['items'] as unknown[]).length).toBeLessThanOrEqual(2)
    expect(value['items']).toEqual(expect.arrayContaining([expect.stringContaining('Quarterly report')]))
    expect(value['level']).toBe('low')
    expect(value['fixed']).toBe(42)
    expect(typeof value['maybe']).toBe('boolean')
  })

  it('is deterministic for the same seed', () => {
    const schema = { type: 'array', items: { type: 'number' } }
    expect(sampleFromJsonSchema(schema, { seed: 'a' })).toEqual(sampleFromJsonSchema(schema, { seed: 'a' }))
  })

  it('respects minItems / maxItems and string formats', () => {
    expect(sampleFromJsonSchema({ type: 'array', items: { type: 'integer' }, minItems: 4 })).toHaveLength(4)
    expect(sampleFromJsonSchema({ type: 'array', items: { type: 'integer' }, maxItems: 0 })).toEqual([])
    expect(sampleFromJsonSchema({ type: 'string', format: 'date-time' })).toBe('2024-01-01T00:00:00.000Z')
    expect(sampleFromJsonSchema({ type: 'string', minLength: 20 })).toHaveLength(20)
  })

  it('follows $ref, allOf and recursive schemas from zod', () => {
    interface Node {
      name: string
      children: Node[]
    }
    const Tree: z.ZodType<Node> = z.object({ name: z.string(), get children() { return z.array(Tree) } })
    const schema = z.toJSONSchema(Tree)
    const value = sampleFromJsonSchema(schema, { text: 'root' })
    expect(() => Tree.parse(value)).not.toThrow()

    const merged = sampleFromJsonSchema({
      $defs: { Named: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
      allOf: [{ $ref: '#/$defs/Named' }, { type: 'object', properties: { age: { type: 'integer', minimum: 1, maximum: 1 } }, required: ['age'] }],
    })
    expect(merged).toEqual({ name: 'name', age: 1 })
  })

  it('takes the first non-null branch of anyOf', () => {
    expect(sampleFromJsonSchema({ anyOf: [{ type: 'null' }, { type: 'integer', minimum: 3, maximum: 3 }] })).toBe(3)
  })
})
