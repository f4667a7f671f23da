/** Memo stores and the memo backend: replies kept by content hash, so re-runs repeat no finished call. */
export { memoKey, stableJson, type MemoKeyParts } from './key.js'
export { memoryStore, type MemoEntry, type MemoStore, type MemoryStore, type FsyncPolicy } from './store.js'
export { fileStore, type FileStore, type FileStoreOptions } from './file-store.js'
export { sqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js'
export { memoBackend, type MemoBackendOptions } from './backend.js'
