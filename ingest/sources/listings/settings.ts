// The listings source's settings: its API, the inbox agencies drop dumps into, and the legacy table.
import { z } from 'zod';
import type { Config } from '../../../core/config.ts';
import { declareSettings, inboxPath, urlSetting } from '../../source-settings.ts';

export const listingsSettings = declareSettings({
  source: 'listings',
  shape: {
    url: urlSetting('http://127.0.0.1:8792'),
    inbox: z.string().optional(),
    databaseUrl: z.url().optional(),
    table: z
      .string()
      .regex(/^\w+(\.\w+)?$/, 'use table or schema.table')
      .default('legacy.listings'),
  },
  legacy: {
    url: 'LISTINGS_API_URL',
    inbox: 'STRATA_LISTINGS_INBOX',
    databaseUrl: 'LISTINGS_DATABASE_URL',
    table: 'LISTINGS_TABLE',
  },
  describe: {
    url: 'Base URL of the listings API',
    inbox: 'Folder agencies drop CSV and JSON dumps into (default: <data dir>/inbox/listings)',
    databaseUrl: 'PostgreSQL database holding the legacy table (default: DATABASE_URL)',
    table: 'The legacy table, [schema.]table',
  },
});

export type ListingsSettings = ReturnType<typeof listingsSettings.read>;

export const listingsInbox = (config: Config, settings: ListingsSettings) =>
  inboxPath(config, 'listings', settings.inbox);
