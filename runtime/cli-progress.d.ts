// `cli-progress` ships no types; plait uses only `SingleBar`, through the structural type in progress.ts.
declare module 'cli-progress'
