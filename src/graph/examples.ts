/**
 * Small example graphs, for tests and documentation of the renderers.
 */

import type { Graph } from './types.js'

/**
 * Two documents go through the same extractor (alias `fast`) in parallel, a template joins the
 * two extractions, and a comparer (alias `smart`) compares them: 6 nodes, 3 calls, critical path
 * 2, width 2.
 *
 * @example
 * ```ts
 * toMermaid(extractAndCompareGraph())
 * ```
 */
export function extractAndCompareGraph(): Graph {
  return {
    version: 1,
    name: 'ExtractAndCompare',
    source: 'compiler',
    inputs: ['doc1', 'doc2'],
    nodes: [
      { id: 'doc1', kind: 'input', inputs: [], module: '', label: 'doc1' },
      { id: 'doc2', kind: 'input', inputs: [], module: '', label: 'doc2' },
      { id: 'extractor', kind: 'call', inputs: ['doc1'], module: 'extractor', moduleType: 'Extract', alias: 'fast' },
      { id: 'extractor_2', kind: 'call', inputs: ['doc2'], module: 'extractor', moduleType: 'Extract', alias: 'fast' },
      {
        id: 'prompt',
        kind: 'render',
        inputs: ['extractor', 'extractor_2'],
        module: '',
        template: ['Compare:\n', '\nwith\n', ''],
      },
      { id: 'comparer', kind: 'call', inputs: ['prompt'], module: 'comparer', moduleType: 'Compare', alias: 'smart' },
    ],
    output: { node: 'comparer' },
    modules: [
      { path: 'extractor', type: 'Extract', alias: 'fast' },
      { path: 'comparer', type: 'Compare', alias: 'smart' },
    ],
    parameters: [{ path: 'extractor.instructions', description: 'How to extract facts', requiresGrad: true }],
    diagnostics: [],
  }
}

/**
 * A root module with a composite `encoder` that holds a leaf `summarize` and a composite
 * `review` with a leaf `critic`, so calls sit two levels deep (`encoder.review.critic`). It also
 * has ids that Mermaid cannot take as they are (`end`, `final.text`).
 *
 * @example
 * ```ts
 * groupByModule(nestedModulesGraph()).children[0]?.path // => 'encoder'
 * ```
 */
export function nestedModulesGraph(): Graph {
  return {
    version: 1,
    name: 'Pipeline',
    source: 'tracer',
    inputs: ['doc'],
    nodes: [
      { id: 'doc', kind: 'input', inputs: [], module: '' },
      { id: 'summary', kind: 'call', inputs: ['doc'], module: 'encoder.summarize', moduleType: 'LLMInference', alias: 'fast' },
      { id: 'title', kind: 'select', inputs: ['summary'], module: 'encoder', key: 'title' },
      { id: 'critique', kind: 'call', inputs: ['title'], module: 'encoder.review.critic', moduleType: 'LLMInference', alias: 'smart' },
      { id: 'check', kind: 'cond', inputs: ['critique'], module: '', label: 'critique.ok' },
      { id: 'end', kind: 'derive', inputs: ['check'], module: '', label: 'say "done"' },
      { id: 'final.text', kind: 'derive', inputs: ['end', 'summary'], module: '', label: '.trim()' },
    ],
    output: { object: { text: { node: 'final.text' }, parts: { array: [{ node: 'summary' }, { literal: 'v1' }] } } },
    modules: [
      { path: 'encoder', type: 'Encoder' },
      { path: 'encoder.summarize', type: 'LLMInference', alias: 'fast' },
      { path: 'encoder.review', type: 'Review' },
      { path: 'encoder.review.critic', type: 'LLMInference', alias: 'smart' },
    ],
    parameters: [],
    diagnostics: [],
  }
}
