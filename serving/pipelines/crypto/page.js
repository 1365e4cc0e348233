// The crypto example's dashboard page: drawn in the browser from the API, redrawn when a new gold load lands.
import { candleChart } from '/assets/charts.js';
import { api, card, empty, liveEvents, main, number, showError } from '/assets/kit.js';

export async function render() {
  const status = document.createElement('p');
  status.className = 'live';
  main.querySelector('h1').after(status);
  const cards = new Map();
  const draw = async () => {
    const { coins } = await api('/v1/crypto');
    if (!coins.length && !cards.size)
      empty(card('Candles'), 'No prices yet: pnpm ingest:run crypto, then pnpm job:silver and pnpm job:gold.');
    for (const coin of coins) {
      if (!cards.has(coin.symbol)) cards.set(coin.symbol, card(coin.symbol, { wide: true }));
      const { candles } = await api(`/v1/crypto/${coin.symbol}/candles?grain=minute&limit=120`);
      const body = cards.get(coin.symbol);
      candleChart(body, { candles, title: `${coin.symbol}, one-minute candles` });
      const price = document.createElement('p');
      price.className = 'price';
      price.textContent = `${number(coin.price, 4)} at ${coin.minute.slice(11, 16)} UTC`;
      body.prepend(price);
    }
    status.textContent = `Live: updated ${new Date().toISOString().slice(11, 19)} UTC`;
  };
  await draw();
  // With the tab's API key, where reads need one (EventSource could not send it).
  liveEvents('/v1/events?tables=crypto_ohlc_minute', {
    'gold-loaded': () => void draw().catch(showError),
    resync: () => void draw().catch(showError),
    ready: () => (status.dataset.live = 'connected'),
  });
}
