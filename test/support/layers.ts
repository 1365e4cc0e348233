// The architecture's dependency order (docs/architecture.md, decision 0024), checked by test/import-graph.test.ts.

/** Platform folders in dependency order: a folder may import from its own group and the groups before it. */
export const LAYERS = [
  ['core'],
  ['streams'],
  ['lake'],
  ['ingest'],
  ['bronze'],
  ['jobs'],
  ['silver', 'gold'],
  ['infra'],
  ['pipeline'],
  ['serving'],
];
