import { buildPackage } from '/work/main/bench/build.ts'
import { importTimes, sdkChecks } from '/work/main/bench/import-time.ts'
console.log(await buildPackage())
console.log(JSON.stringify(await importTimes(5)))
console.log(await sdkChecks())
