// The odds source's settings (`pnpm sources --settings`).
import { declareSettings, urlSetting } from '../../source-settings.ts';

export const oddsSettings = declareSettings({
  source: 'odds',
  shape: { url: urlSetting('http://127.0.0.1:8789') },
  legacy: { url: 'ODDS_SITE_URL' },
  describe: {
    url: 'Base URL of the odds-comparison site (the fixture by default: `pnpm fixtures:serve --source odds`)',
  },
});
