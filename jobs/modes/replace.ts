// replace: the table is what its SQL returns, one row per key (the runner refuses duplicates). A full run rewrites
// it; an incremental run folds the new rows in by key, like merge, so a table over new input never loses old rows.
import { mergeFold } from './merge.ts';
import { writeByScope, type WriteMode } from './mode.ts';

export const replaceMode: WriteMode = {
  ranksRows: false,
  keysFromSql: true,
  incrementalOperation: 'merge',
  write: (run) => writeByScope(run, mergeFold),
};
