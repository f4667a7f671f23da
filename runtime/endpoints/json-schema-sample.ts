import { hashString } from './prng.js'

type Schema = Record<string, unknown>

/** Options of {@link sampleFromJsonSchema}. */
export interface SampleOptions {
  /** Text the strings are made from (e.g. the last user message), so replies show their input. */
  text?: string
  /** Varies numbers, booleans and array lengths deterministically. */
  seed?: string
}

const MAX_DEPTH = 12

/**
 * A deterministic JSON value that fits a JSON Schema, for simulated structured replies: objects with
 * their properties (required ones always, optional ones near the top), strings made from
 * `options.text` (respecting `minLength`/`maxLength`, `format`), numbers in range, arrays of 1–2
 * items (within `minItems`/`maxItems`), the first `enum` value, `const`. Follows local `$ref`s
 * (`#`, `#/$defs/...`, `#/definitions/...`), takes the first non-null branch of `anyOf`/`oneOf`,
 * merges `allOf`. `pattern` is not honoured.
 *
 * @example
 * ```ts
 * sampleFromJsonSchema({ type: 'object', properties: { tags: { type: 'array', items: { enum: ['a', 'b'] } } }, required: ['tags'] })
 * // { tags: ['a'] } or { tags: ['a', 'a'] }
 * ```
 */
export function sampleFromJsonSchema(schema: unknown, options: SampleOptions = {}): unknown {
  const root = isSchema(schema) ? schema : {}
  const words = (options.text ?? '').replace(/\s+/g, ' ').trim()
  const seed = options.seed ?? ''
  return sample(root, root, '$', 0, words, seed)
}

function sample(schema: Schema, root: Schema, path: string, depth: number, words: string, seed: string): unknown {
  if (depth > MAX_DEPTH) return null
  const ref = schema['$ref']
  if (typeof ref === 'string') {
    const target = resolveRef(root, ref)
    return sample({ ...target, ...withoutKey(schema, '$ref') }, root, path, depth + 1, words, seed)
  }
  if ('const' in schema) return schema['const']
  const enumValues = schema['enum']
  if (Array.isArray(enumValues) && enumValues.length > 0) return enumValues[0]
  if ('default' in schema && schema['default'] !== undefined) return schema['default']
  const allOf = schema['allOf']
  if (Array.isArray(allOf) && allOf.length > 0) {
    return sample(mergeAll(allOf.filter(isSchema).map((part) => deref(part, root)), schema), root, path, depth + 1, words, seed)
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key]
    if (Array.isArray(branches) && branches.length > 0) {
      const choices = branches.filter(isSchema)
      const chosen = choices.find((branch) => deref(branch, root)['type'] !== 'null') ?? choices[0] ?? {}
      return sample({ ...withoutKey(schema, key), ...chosen }, root, path, depth + 1, words, seed)
    }
  }
  const h = hashString(`${seed}|${path}`)
  switch (schemaType(schema)) {
    case 'object':
      return sampleObject(schema, root, path, depth, words, seed)
    case 'array':
      return sampleArray(schema, root, path, depth, words, seed, h)
    case 'integer':
      return sampleNumber(schema, h, true)
    case 'number':
      return sampleNumber(schema, h, false)
    case 'boolean':
      return h % 2 === 0
    case 'null':
      return null
    default:
      return sampleString(schema, path, words)
  }
}

function sampleObject(schema: Schema, root: Schema, path: string, depth: number, words: string, seed: string): Record<string, unknown> {
  const properties = isSchema(schema['properties']) ? schema['properties'] : {}
  const required = Array.isArray(schema['required']) ? schema['required'].filter((k): k is string => typeof k === 'string') : []
  const out: Record<string, unknown> = {}
  for (const [name, property] of Object.entries(properties)) {
    if (!required.includes(name) && depth >= 3) continue
    out[name] = sample(isSchema(property) ? property : {}, root, `${path}.${name}`, depth + 1, words, seed)
  }
  for (const name of required) {
    if (!(name in out)) out[name] = sampleString({}, `${path}.${name}`, words)
  }
  return out
}

function sampleArray(schema: Schema, root: Schema, path: string, depth: number, words: string, seed: string, h: number): unknown[] {
  const min = nonNegativeInteger(schema['minItems']) ?? 0
  const max = nonNegativeInteger(schema['maxItems']) ?? Number.POSITIVE_INFINITY
  const preferred = depth >= 6 ? 0 : 1 + (h % 2)
  const count = Math.min(Math.max(preferred, min), max)
  const prefix = Array.isArray(schema['prefixItems']) ? schema['prefixItems'].filter(isSchema) : []
  const items = isSchema(schema['items']) ? schema['items'] : {}
  const out: unknown[] = []
  for (let i = 0; i < Math.max(count, prefix.length); i++) {
    out.push(sample(prefix[i] ?? items, root, `${path}[${i}]`, depth + 1, words, seed))
  }
  return out
}

function sampleNumber(schema: Schema, h: number, integer: boolean): number {
  const step = integer ? 1 : 0.01
  const exclusiveMinimum = finite(schema['exclusiveMinimum'])
  const exclusiveMaximum = finite(schema['exclusiveMaximum'])
  let low = finite(schema['minimum']) ?? (exclusiveMinimum === undefined ? undefined : exclusiveMinimum + step)
  let high = finite(schema['maximum']) ?? (exclusiveMaximum === undefined ? undefined : exclusiveMaximum - step)
  const width = integer ? 100 : 1
  if (low === undefined) low = high === undefined ? 0 : high - width
  if (high === undefined) high = low + width
  const multipleOf = finite(schema['multipleOf'])
  if (multipleOf !== undefined && multipleOf > 0) {
    const first = Math.ceil(low / multipleOf)
    const last = Math.floor(high / multipleOf)
    const k = last < first ? first : first + (h % (last - first + 1))
    return Number((k * multipleOf).toPrecision(12))
  }
  if (integer) {
    const first = Math.ceil(low)
    const last = Math.floor(high)
    return last < first ? first : first + (h % (last - first + 1))
  }
  const value = low + ((h % 1000) / 1000) * Math.max(0, high - low)
  return Math.min(high, Math.max(low, Math.round(value * 100) / 100))
}

function sampleString(schema: Schema, path: string, words: string): string {
  const format = schema['format']
  if (format === 'date-time') return '2024-01-01T00:00:00.000Z'
  if (format === 'date') return '2024-01-01'
  if (format === 'time') return '00:00:00'
  if (format === 'email') return 'someone@example.com'
  if (format === 'uri' || format === 'url') return 'https://example.com/'
  if (format === 'uuid') return '00000000-0000-4000-8000-000000000000'
  const name = path.replace(/\[\d+\]/g, '').split('.').at(-1) ?? ''
  const label = name === '$' || name === '' ? 'value' : name
  const index = /\[(\d+)\]$/.exec(path)?.[1]
  const base = words === '' ? `${label}${index === undefined ? '' : ` ${Number(index) + 1}`}` : `${label}${index === undefined ? '' : ` ${Number(index) + 1}`}: ${clip(words, 60)}`
  const minLength = nonNegativeInteger(schema['minLength']) ?? 0
  const maxLength = nonNegativeInteger(schema['maxLength'])
  let text = base.padEnd(minLength, '.')
  if (maxLength !== undefined) text = text.slice(0, maxLength)
  return text
}

function schemaType(schema: Schema): string | undefined {
  const type = schema['type']
  if (typeof type === 'string') return type
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null') ?? 'null'
  if (isSchema(schema['properties']) || Array.isArray(schema['required'])) return 'object'
  if ('items' in schema || 'prefixItems' in schema) return 'array'
  return undefined
}

function resolveRef(root: Schema, ref: string): Schema {
  if (ref === '#') return root
  if (!ref.startsWith('#/')) return {}
  let current: unknown = root
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    current = isSchema(current) ? current[key] : undefined
  }
  return isSchema(current) ? current : {}
}

function deref(schema: Schema, root: Schema): Schema {
  const ref = schema['$ref']
  return typeof ref === 'string' ? { ...resolveRef(root, ref), ...withoutKey(schema, '$ref') } : schema
}

function mergeAll(parts: Schema[], outer: Schema): Schema {
  const merged: Schema = withoutKey(outer, 'allOf')
  const properties: Record<string, unknown> = isSchema(merged['properties']) ? { ...merged['properties'] } : {}
  const required = new Set<string>(Array.isArray(merged['required']) ? merged['required'].filter((k): k is string => typeof k === 'string') : [])
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties' && isSchema(value)) {
        Object.assign(properties, value)
      } else if (key === 'required' && Array.isArray(value)) {
        for (const k of value) if (typeof k === 'string') required.add(k)
      } else if (!(key in merged)) {
        merged[key] = value
      }
    }
  }
  if (Object.keys(properties).length > 0) merged['properties'] = properties
  if (required.size > 0) merged['required'] = [...required]
  return merged
}

function withoutKey(schema: Schema, key: string): Schema {
  const { [key]: _removed, ...rest } = schema
  return rest
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}
