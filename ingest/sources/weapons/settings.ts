// The weapons source's settings (`pnpm sources --settings`).
import { declareSettings, urlSetting } from '../../source-settings.ts';

export const weaponsSettings = declareSettings({
  source: 'weapons',
  shape: { url: urlSetting('http://127.0.0.1:8791') },
  legacy: { url: 'WEAPONS_WIKI_URL' },
  describe: { url: 'Base URL of the game wiki (the fixture by default: `pnpm fixtures:serve --source weapons`)' },
});
