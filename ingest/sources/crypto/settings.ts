// The crypto source's settings (`pnpm sources --settings`).
import { declareSettings, urlSetting } from '../../source-settings.ts';

export const cryptoSettings = declareSettings({
  source: 'crypto',
  shape: { url: urlSetting('http://127.0.0.1:8790') },
  legacy: { url: 'CRYPTO_API_URL' },
  describe: {
    url: 'Base URL of the crypto ticker API (the fixture by default: `pnpm fixtures:serve --source crypto`)',
  },
});
