// A forward() the compiler rejects: a module created inside forward (PL1xx).
import { LLMInference, Module } from 'plait'

export class Broken extends Module<[string], string> {
  forward(text: string): string {
    const fresh = new LLMInference({ alias: 'main', system: 'X' })
    return fresh(text)
  }
}
