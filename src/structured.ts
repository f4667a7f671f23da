/**
 * Structured output through Standard Schema (zod, valibot, arktype and friends): ask for JSON,
 * parse it, validate it, and say exactly what was wrong.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { ResponseFormat } from '../runtime/endpoint.js'

/** The outcome of checking one reply. */
export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; issues: string[] }

/**
 * The response format for `schema`: a JSON schema when the library can give one (Standard JSON
 * Schema), plain JSON mode otherwise.
 *
 * @example
 * ```ts
 * responseFormatFor(z.object({ title: z.string() }), 'extractor')
 * // { type: 'json_schema', name: 'extractor', schema: { type: 'object', ... } }
 * ```
 */
export function responseFormatFor(schema: StandardSchemaV1, name: string): ResponseFormat {
  const converter = (schema['~standard'] as { jsonSchema?: { output?: (options: { target: string }) => Record<string, unknown> } }).jsonSchema
  if (typeof converter?.output === 'function') {
    try {
      const { $schema: _ignored, ...jsonSchema } = converter.output({ target: 'draft-2020-12' })
      return { type: 'json_schema', name: name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output', schema: jsonSchema }
    } catch {
      // The library cannot express this schema in JSON Schema: plain JSON mode still works.
    }
  }
  return { type: 'json_object' }
}

/**
 * Parses a reply as JSON (a surrounding Markdown code fence is allowed) and validates it.
 *
 * @example
 * ```ts
 * await parseStructured(z.object({ n: z.number() }), '{"n": 1}') // { ok: true, value: { n: 1 } }
 * ```
 */
export async function parseStructured<T>(schema: StandardSchemaV1<unknown, T>, text: string): Promise<ParseOutcome<T>> {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text)
  let value: unknown
  try {
    value = JSON.parse(fenced ? fenced[1]! : text)
  } catch (error) {
    return { ok: false, issues: [`The reply is not valid JSON (${(error as Error).message}).`] }
  }
  const result = await schema['~standard'].validate(value)
  if (!result.issues) return { ok: true, value: result.value }
  return { ok: false, issues: result.issues.map(formatIssue) }
}

function formatIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/** Whether `value` implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard']
  return typeof standard === 'object' && standard !== null && standard.version === 1 && typeof standard.validate === 'function'
}
