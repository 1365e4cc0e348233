import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { declareSettings, settingEnvName, urlSetting } from './source-settings.ts';

const settings = declareSettings({
  source: 'shop_orders',
  shape: {
    url: urlSetting('http://127.0.0.1:9999'),
    databaseUrl: z.url().optional(),
    pageSize: z.coerce.number().int().default(50),
  },
  legacy: { url: 'SHOP_API_URL' },
  describe: { url: 'Base URL of the shop API' },
});

describe('source settings', () => {
  it('derive their variable names from the source and the setting', () => {
    assert.equal(settingEnvName('odds', 'url'), 'STRATA_SOURCE_ODDS_URL');
    assert.equal(settingEnvName('shop_orders', 'databaseUrl'), 'STRATA_SOURCE_SHOP_ORDERS_DATABASE_URL');
  });

  it('read their defaults, and values from the derived names', () => {
    assert.deepEqual(settings.read({}), { url: 'http://127.0.0.1:9999', databaseUrl: undefined, pageSize: 50 });
    const env = {
      STRATA_SOURCE_SHOP_ORDERS_URL: 'https://shop.example/api//',
      STRATA_SOURCE_SHOP_ORDERS_PAGE_SIZE: '200',
    };
    assert.deepEqual(settings.read(env), { url: 'https://shop.example/api', databaseUrl: undefined, pageSize: 200 });
  });

  it('still read an old name, once with a warning, and prefer the new one when both are set', () => {
    const warnings: string[] = [];
    assert.equal(
      settings.read({ SHOP_API_URL: 'http://old.example' }, (m) => warnings.push(m)).url,
      'http://old.example',
    );
    assert.deepEqual(warnings, [
      'warning: SHOP_API_URL is deprecated and will be ignored in the next release; set STRATA_SOURCE_SHOP_ORDERS_URL instead',
    ]);
    const both = { SHOP_API_URL: 'http://old.example', STRATA_SOURCE_SHOP_ORDERS_URL: 'http://new.example' };
    assert.equal(settings.read(both, (m) => warnings.push(m)).url, 'http://new.example');
    assert.equal(warnings.length, 1);
  });

  it('fail naming every bad variable and where to fix it', () => {
    const bad = { STRATA_SOURCE_SHOP_ORDERS_URL: 'not a url', STRATA_SOURCE_SHOP_ORDERS_PAGE_SIZE: 'ten' };
    assert.throws(
      () => settings.read(bad),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.includes('- STRATA_SOURCE_SHOP_ORDERS_URL="not a url"') &&
        error.message.includes('- STRATA_SOURCE_SHOP_ORDERS_PAGE_SIZE="ten"') &&
        error.message.includes('pnpm sources --settings'),
    );
  });

  it('list each setting with its variable, default, description and old name', () => {
    assert.deepEqual(settings.list(), [
      {
        name: 'STRATA_SOURCE_SHOP_ORDERS_URL',
        key: 'url',
        defaultValue: 'http://127.0.0.1:9999',
        description: 'Base URL of the shop API',
        legacy: 'SHOP_API_URL',
      },
      {
        name: 'STRATA_SOURCE_SHOP_ORDERS_DATABASE_URL',
        key: 'databaseUrl',
        defaultValue: undefined,
        description: '',
        legacy: undefined,
      },
      {
        name: 'STRATA_SOURCE_SHOP_ORDERS_PAGE_SIZE',
        key: 'pageSize',
        defaultValue: '50',
        description: '',
        legacy: undefined,
      },
    ]);
  });
});
