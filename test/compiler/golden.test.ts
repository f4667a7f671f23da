/**
 * Golden fixtures: the compiler's output for every fixture under fixtures/compiler matches the
 * expected files beside it (`npm run fixtures:update` rewrites them), graphs are valid IR and
 * byte-identical on a rebuild, and the diagnostics page is up to date with the catalogue.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { graphToJSON, validateGraph } from 'plait'
import { catalogue, diagnosticsMarkdown } from '../../plugin/compiler/diagnostics.js'
import { compileFixture, existingGoldenFiles, fixtureNames, fixturesDir, goldenFiles, root } from './golden.js'

const names = fixtureNames()

describe('golden compiler fixtures', () => {
  it('has fixtures, runnable and rejected', () => {
    expect(names.filter((name) => !name.startsWith('error.')).length).toBeGreaterThanOrEqual(10)
    expect(names.filter((name) => name.startsWith('error.')).length).toBeGreaterThanOrEqual(10)
  })

  for (const name of names) {
    it(`${name} matches its expected files`, () => {
      const expected = goldenFiles(name)
      expect(existingGoldenFiles(name).sort(), 'run `npm run fixtures:update`').toEqual(Object.keys(expected).sort())
      for (const [file, text] of Object.entries(expected)) expect(readFileSync(`${fixturesDir}${file}`, 'utf8'), file).toBe(text)
    })
  }

  it('gives valid graphs, byte-identical on a rebuild', () => {
    for (const name of names) {
      const first = compileFixture(name)
      const second = compileFixture(name)
      expect(second.code).toBe(first.code)
      for (const [index, graph] of first.graphs.entries()) {
        validateGraph(graph)
        expect(graph.source).toBe('compiler')
        expect(graph.file).toBe(`fixtures/compiler/${name}.ts`)
        expect(graphToJSON(second.graphs[index]!)).toBe(graphToJSON(graph))
      }
    }
  })

  it('keeps every line of a runnable fixture where it was', () => {
    for (const name of names.filter((item) => !item.startsWith('error.'))) {
      const source = readFileSync(`${fixturesDir}${name}.ts`, 'utf8')
      const { code } = compileFixture(name)
      expect(code.split('\n').length, name).toBe(source.split('\n').length)
    }
  })

  it('rejects every error fixture with the code its name announces', () => {
    for (const name of names.filter((item) => item.startsWith('error.'))) {
      const { diagnostics, graphs } = compileFixture(name)
      const wanted = readFileSync(`${fixturesDir}${name}.ts`, 'utf8').match(/expect: (PL\d+)/)?.[1]
      expect(wanted, `${name} names the code it expects (// expect: PL1xx)`).toBeDefined()
      expect(diagnostics.map((diagnostic) => diagnostic.code), name).toContain(wanted)
      expect(graphs.filter((graph) => graph.name === 'Rejected'), name).toEqual([])
    }
  })

  it('covers every code of the catalogue with an error fixture', () => {
    const covered = new Set(names.filter((name) => name.startsWith('error.')).map((name) => readFileSync(`${fixturesDir}${name}.ts`, 'utf8').match(/expect: (PL\d+)/)?.[1]))
    // PL204 is the compiler's own failure: nothing should trigger it.
    expect(Object.keys(catalogue).filter((code) => !covered.has(code) && code !== 'PL204')).toEqual([])
  })
})

describe('docs/diagnostics.md', () => {
  it('is generated from the catalogue (run `npm run docs:diagnostics`)', () => {
    expect(readFileSync(`${root}docs/diagnostics.md`, 'utf8')).toBe(diagnosticsMarkdown())
  })
})
