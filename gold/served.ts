// The served-gold contract between the loader that writes PostgreSQL and the API that reads it: where gold tables
// live, the channel a load announces itself on, and how a load's staging table is named (never served).
export const GOLD_SCHEMA = 'gold';

/** NOTIFY channel: the payload is the table's name, sent in the load's swap transaction. */
export const GOLD_LOADED_CHANNEL = 'strata_gold_loaded';

const STAGING_MARK = '__load_';

/** The staging table a load of `table` fills before the swap. */
export const stagingName = (table: string, id: string) => `${table}${STAGING_MARK}${id}`;

/** True for a load's staging table: it exists only during a load and is never served. */
export const isStaging = (name: string) => name.includes(STAGING_MARK);
