// The weather source's settings (`pnpm sources --settings`).
import { declareSettings, urlSetting } from '../../source-settings.ts';

export const weatherSettings = declareSettings({
  source: 'weather',
  shape: { url: urlSetting('http://127.0.0.1:8788') },
  legacy: { url: 'WEATHER_API_URL' },
  describe: { url: 'Base URL of the weather API (the fixture by default: `pnpm fixtures:serve --source weather`)' },
});
