import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['plait-source'] },
  ssr: { resolve: { conditions: ['plait-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'runtime/**/*.test.ts', 'plugin/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    passWithNoTests: false,
  },
})
