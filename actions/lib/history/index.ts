/** The artifact ledger: append-only JSON lines that nightly runs and promotions are audited from. */
export type { HistoryChart, HistoryCommit, HistoryEntry, HistoryImage } from './entry.js';
export { entryProblem } from './entry.js';
export { formatHistory, type FormatOptions } from './format.js';
export { parseHistory, serializeEntry } from './jsonl.js';
export { appendHistory, readHistory, type HistoryStoreOptions } from './store.js';
export { describeHistoryTarget, parseHistoryTarget, type HistoryTarget } from './target.js';
