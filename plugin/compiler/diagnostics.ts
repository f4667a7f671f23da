/**
 * The catalogue of compiler diagnostics: one entry per code, with the one-line reason, the
 * concrete fix and the docs anchor. `docs/diagnostics.md` is generated from this file
 * (`npm run docs:diagnostics`); a test checks that the committed page is up to date.
 *
 * PL1xx are errors: the construct cannot be compiled correctly, and running it through the
 * tracer would be wrong too. PL2xx are warnings: `forward()` is left untouched and runs through
 * the runtime tracer; with `strict: true` they are errors.
 */
import type { Diagnostic, SourceLocation } from '../../src/graph/types.js'

/** One entry of the catalogue. */
export interface CatalogueEntry {
  code: string
  /** Short name, used in the docs heading. */
  title: string
  severity: 'error' | 'warning'
  /** The one-line reason, as shown after the code. */
  text: string
  /** The concrete fix. */
  fix: string
  /** A longer explanation for the docs page (Markdown). */
  explanation: string
  /** A minimal example that triggers it (TypeScript). */
  example: string
}

/** Every diagnostic the compiler reports, by code. */
export const catalogue = {
  PL101: {
    code: 'PL101',
    title: 'Pending value needed synchronously',
    severity: 'error',
    text: 'A callback of `.{method}()` calls a module, so its result is still pending when `.{method}()` needs it',
    fix: 'Use the async-aware helper from plait in an async forward(): `await {helper}(items, async (item) => (await this.classify(item)) === "x")`',
    explanation:
      "`.filter()`, `.find()`, `.some()`, `.every()`, `.sort()`, `.reduce()`, `.flatMap()` and friends call their callback and use its result at once. A module call inside the callback returns a pending value (its LLM call has not even started), so comparing or returning it cannot work. plait ships async-aware helpers that start every callback's calls at once and use the resolved results: `pfilter`, `pfind`, `psome`, `pevery`, `pmap` and `psortBy`. Use them with `await` in an async `forward()`; the compiler keeps them as one node. For `.flatMap()`, use `.map(...)` and then `.flat()`.",
    example: "forward(docs: string[]) {\n  return docs.filter((doc) => this.classify(doc) === 'relevant')\n}",
  },
  PL102: {
    code: 'PL102',
    title: 'Module created or reassigned inside forward()',
    severity: 'error',
    text: 'forward() {action} a module; modules must exist before a run starts',
    fix: 'Declare the module as a field (`summarizer = new LLMInference({ alias: "fast" })`) and call it from forward()',
    explanation:
      'Modules are found from the instance\'s fields before a run (`namedModules()`, endpoint binding, parameters, graphs). A module made or swapped inside `forward()` is invisible to all of them, and its calls cannot be compiled to a fixed graph. Declare every module as a field; choose between fields with an `if` when needed.',
    example: "forward(doc: string) {\n  const summarizer = new LLMInference({ alias: 'fast' })\n  return summarizer(doc)\n}",
  },
  PL103: {
    code: 'PL103',
    title: 'Loop test depends on an LLM result',
    severity: 'error',
    text: 'The test of this loop depends on an LLM result made or changed by the loop itself, so how often it runs is not known while the graph is built',
    fix: 'Write it as a `while` loop with no `break`, `continue` or `return` inside (that compiles: one round at a time), bound it (`for (let round = 0; round < 3; round++)`) and branch inside it, or `await` the value first in an async forward()',
    explanation:
      'A loop whose test reads values that exist before it and that it does not change (`i < docs.length`) compiles: those values resolve first, then the loop runs. A `while` whose test calls a module or reads what the loop changes with LLM results compiles too, as one conditional per round (each round is made once the test before it has passed), as long as its body has no `break`, `continue` or `return` and changes no outer variable in place. A `do..while` or `for(;;)` with such a test, or a `while` with such a body, is not turned into a graph: write it as such a `while`, use a loop with a fixed bound and an `if` on the LLM result inside it, or make `forward()` async and `await` the value the test needs.',
    example: "forward(draft: string) {\n  do draft = this.improve(draft)\n  while (this.judge(draft) !== 'good')\n  return draft\n}",
  },
  PL104: {
    code: 'PL104',
    title: 'Reading `this` state that forward() changes',
    severity: 'error',
    text: 'forward() reads `this.{name}`, which it also assigns; the read would not see the new value in compiled code',
    fix: 'Keep the value in a local variable inside forward(), or keep the state outside the module',
    explanation:
      'Assignments to `this` fields inside a compiled `forward()` are side effects: they run on the effect chain once the values they need have resolved. A read of the same field runs while the graph is built, before the assignment. Keep per-call state in local variables.',
    example: 'forward(doc: string) {\n  this.last = this.summarize(doc)\n  return this.polish(this.last)\n}',
  },
  PL105: {
    code: 'PL105',
    title: 'Closure that calls modules escapes',
    severity: 'error',
    text: 'This function calls a module but is {how}; the compiler only follows module calls in forward() itself and in `.map()`/`.forEach()` callbacks',
    fix: 'Inline the call (`docs.map((doc) => this.extract(doc))`), or make it a method of the module and call it from forward()',
    explanation:
      'A function defined inside `forward()` that calls modules and is stored, returned or passed to another function may run at any time, outside the graph the compiler builds. Write the calls in `forward()` itself or in a callback passed directly to `.map()` or `.forEach()`, or move the logic into a child module.',
    example: 'forward(docs: string[]) {\n  const extract = (doc: string) => this.extractor(doc)\n  return docs.map(extract)\n}',
  },
  PL106: {
    code: 'PL106',
    title: 'Dynamic callee',
    severity: 'error',
    text: 'The module called here is chosen at run time ({what}), so the compiler cannot tell which module it is',
    fix: 'Call the module by its field (`this.summarizer(x)`), or keep the choices in a ModuleDict / ModuleList and call `this.experts[name](x)`',
    explanation:
      '`this[name](x)` and module references stored in variables or passed to functions hide which module runs. Name the field directly, or use a container: calls on `this.experts[i]` compile to calls of the chosen child.',
    example: 'forward(kind: string, text: string) {\n  return this[kind](text)\n}',
  },
  PL107: {
    code: 'PL107',
    title: 'Unsupported syntax',
    severity: 'error',
    text: '{what} is not supported in a compiled forward()',
    fix: 'Rewrite it with plain statements: {how}',
    explanation:
      'Generators, `eval`, `with`, labelled statements and similar constructs cannot be turned into a dataflow graph. Most have a plain equivalent: return an array instead of yielding, call the function directly instead of `eval`, name the object instead of `with`.',
    example: 'forward(doc: string) {\n  return eval("this.summarize(doc)")\n}',
  },
  PL108: {
    code: 'PL108',
    title: 'Changing a pending value',
    severity: 'error',
    text: '{what} changes a value that is still pending (an LLM result or something computed from one)',
    fix: 'Build a new value instead: {how}',
    explanation:
      'A pending value exists only once its LLM call returns; code that changes it in place (assigning a property, `push`, `sort`, `delete`) would run at an unknown time relative to the code reading it. Make a new value from it: `{ ...reply, title }`, `items.concat([extra])`, `items.toSorted()`.',
    example: "forward(doc: string) {\n  const reply = this.extract(doc)\n  reply.source = 'web'\n  return reply\n}",
  },
  PL109: {
    code: 'PL109',
    title: 'Leaving a loop on an LLM result',
    severity: 'error',
    text: '`{keyword}` inside a loop depends on an LLM result, so which rounds run is not known while the graph is built',
    fix: 'Compute every round and pick afterwards (`const verdicts = docs.map((d) => this.check(d))`), or `await` the value in an async forward()',
    explanation:
      '`break`, `continue` and `return` inside a loop, under an `if` whose test is pending, make the rounds that run depend on LLM results in sequence. The compiler does not turn such loops into graphs yet.',
    example: "forward(docs: string[]) {\n  for (const doc of docs) {\n    if (this.check(doc) === 'yes') return doc\n  }\n  return ''\n}",
  },
  PL110: {
    code: 'PL110',
    title: 'Changing outer state on an LLM result',
    severity: 'error',
    text: '{what} changes `{name}` from code that runs only once an LLM result is known, and the code after it reads `{name}` at once',
    fix: 'Assign a new value instead of changing it in place (`{name} = [...{name}, item]`), or move this code to the top level of forward()',
    explanation:
      'The branches of an `if` on an LLM result, and loops over arrays that may still be pending, run when the value arrives. Assignments to outer variables are carried out of them; changes made in place to outer objects and arrays are not, unless the rest of `forward()` can wait for them (it can at the top level of `forward()`).',
    example: "forward(doc: string) {\n  const notes: string[] = []\n  for (const part of [doc, doc]) {\n    if (this.check(part) === 'yes') notes.push(part)\n  }\n  return notes\n}",
  },
  PL111: {
    code: 'PL111',
    title: 'Pending value in an unsupported position',
    severity: 'error',
    text: '{what} uses a pending value in a way the compiler cannot order',
    fix: '{how}',
    explanation:
      'A few expression forms cannot be split into graph nodes: an assignment inside a larger expression, a default value in a destructuring pattern that calls a module, a spread of a pending value as call arguments. Write the step as its own statement.',
    example: 'forward(doc: string) {\n  let facts\n  return this.compare((facts = this.extract(doc)))\n}',
  },
  PL201: {
    code: 'PL201',
    title: 'try/catch in a shape the compiler does not handle (left to the tracer)',
    severity: 'warning',
    text: '{what}; forward() runs through the runtime tracer',
    fix: '{how}; with `strict: true` this is an error',
    explanation:
      'A `try` around module calls compiles with sequential meaning: the calls of the `try` block start as soon as their inputs exist, and when one of its nodes fails (a call, a helper, a `throw`) the `catch` block runs with the failure that comes first in program order, while the nodes after it never run. Each block works on copies of the variables it assigns and hands them back, so a few shapes cannot be compiled: a `break` or `continue` inside the statement, a `return` other than as the last statement of the `try` or `catch` block (or in a `try` inside a loop), a block that changes a variable in place (`list.push(...)`), a `catch` or `finally` block that reads a variable the `try` block assigns (what it held at the failure is not known), and a variable the `try` block assigns and the code after it uses while the `catch` block neither assigns it nor rethrows. A `try` without module calls that reads LLM results compiles too (the values resolve first), except inside a branch, a loop or a callback on LLM results. The method is left unchanged and runs through the tracer, whose `catch` sees only errors thrown while the graph is built (not failed calls).',
    example: "forward(doc: string) {\n  try {\n    const summary = this.summarize(doc)\n    if (summary === '') return 'empty'\n    return summary\n  } catch {\n    return 'no summary'\n  }\n}",
  },
  PL202: {
    code: 'PL202',
    title: 'switch on an LLM result that is not an if chain (left to the tracer)',
    severity: 'warning',
    text: 'forward() has a `switch` on an LLM result whose cases fall through (or whose case values are pending, or whose `default` is not last); it runs through the runtime tracer',
    fix: 'End every case with `break`, `return` or `throw` and put `default` last (such a switch compiles), or use `if`/`else if`; with `strict: true` this is an error',
    explanation:
      'A `switch` on a pending value is compiled by rewriting it into the `if`/`else if` chain it means, so only the taken case makes its calls. That works when every case with statements ends in `break`, `return` or `throw`, no other `break` leaves the switch, `default` comes last, case values are plain, and no `let`/`const` of one case is used in another. Other switches run through the tracer, which cannot see which case a pending value selects (it takes `default`).',
    example: "forward(ticket: string) {\n  let out = ''\n  switch (this.classify(ticket)) {\n    case 'bug':\n      out += this.triage(ticket)\n    default:\n      out += this.reply(ticket)\n  }\n  return out\n}",
  },
  PL203: {
    code: 'PL203',
    title: 'Construct left to the tracer',
    severity: 'warning',
    text: '{what} is not compiled yet; forward() runs through the runtime tracer',
    fix: '{how}; with `strict: true` this is an error',
    explanation:
      'Some constructs (`for await`, `await` inside a callback or a loop over a pending array, `arguments`) are not compiled yet. The method is left unchanged and runs through the runtime tracer, which handles what it can see (see docs/tracer.md).',
    example: 'async forward(stream: AsyncIterable<string>) {\n  for await (const chunk of stream) this.log(chunk)\n}',
  },
  PL204: {
    code: 'PL204',
    title: 'Internal compiler error (left to the tracer)',
    severity: 'warning',
    text: 'The compiler failed on this forward() ({what}); it runs through the runtime tracer',
    fix: 'Please report it with the code of forward(); meanwhile the tracer runs it, or opt out with `\'use no plait\'`; with `strict: true` this is an error',
    explanation:
      'A bug in the compiler, not in your code. The method is left unchanged, so the program still runs (through the tracer). Reports with a minimal `forward()` help.',
    example: '// (no example: any forward() the compiler fails on)',
  },
} as const satisfies Record<string, CatalogueEntry>

/** A code of the catalogue. */
export type DiagnosticCode = keyof typeof catalogue

/** Where the docs page lives, relative to the package root. */
export const docsPage = 'docs/diagnostics.md'

/** Fills `{name}` holes of a catalogue text. */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (hole, name: string) => values[name] ?? hole)
}

/**
 * Makes a diagnostic from the catalogue, with the holes of its text and fix filled from
 * `values`. With `strict`, PL2xx warnings become errors.
 *
 * @example
 * ```ts
 * makeDiagnostic('PL101', { file: 'a.ts', line: 3, column: 5, lineText: '...' }, { method: 'filter', helper: 'pfilter' })
 * // { code: 'PL101', severity: 'error', text: 'A callback of `.filter()` calls a module, ...', ... }
 * ```
 */
export function makeDiagnostic(code: DiagnosticCode, location: SourceLocation | undefined, values: Record<string, string> = {}, strict = false): Diagnostic {
  const entry: CatalogueEntry = catalogue[code]
  const diagnostic: Diagnostic = {
    code,
    severity: strict ? 'error' : entry.severity,
    text: fill(entry.text, values),
    suggestion: fill(entry.fix, values),
    docs: `${docsPage}#${code.toLowerCase()}`,
  }
  if (location) diagnostic.location = location
  return diagnostic
}

/**
 * The Markdown text of `docs/diagnostics.md`, generated from the catalogue.
 *
 * @example
 * ```ts
 * writeFileSync('docs/diagnostics.md', diagnosticsMarkdown())
 * ```
 */
export function diagnosticsMarkdown(): string {
  const lines = [
    '# Compiler diagnostics',
    '',
    '<!-- Generated from plugin/compiler/diagnostics.ts by `npm run docs:diagnostics`; do not edit. -->',
    '',
    'The compiler reports each problem with a code, the reason, `file:line:column`, the source line with a caret, a fix and a link here.',
    '',
    '- **PL1xx** are errors: the construct cannot be compiled correctly (and the runtime tracer would not run it correctly either).',
    '- **PL2xx** are warnings: `forward()` is left unchanged and runs through the runtime tracer (see [tracer.md](tracer.md)). With `strict: true` they are errors.',
    '',
    '| Code | Severity | What |',
    '| --- | --- | --- |',
    ...Object.values(catalogue).map((entry: CatalogueEntry) => `| [${entry.code}](#${entry.code.toLowerCase()}) | ${entry.severity} | ${entry.title} |`),
    '',
  ]
  for (const entry of Object.values(catalogue) as CatalogueEntry[]) {
    lines.push(
      `## ${entry.code}`,
      '',
      `**${entry.title}** (${entry.severity})`,
      '',
      `> ${entry.text.replace(/\{(\w+)\}/g, '…')}`,
      '',
      entry.explanation,
      '',
      '```ts',
      entry.example,
      '```',
      '',
      `**Fix:** ${entry.fix.replace(/\{(\w+)\}/g, '…')}`,
      '',
    )
  }
  return lines.join('\n')
}
