// `pnpm stream`: the streaming mode (pipeline/stream-supervisor.ts) until SIGTERM/SIGINT.
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';

const { values } = parseCommand({
  usage: 'pnpm stream [--no-collect] [--status-seconds <s>]',
  summary:
    'Runs the streaming mode: the collectors of the sources that streaming tables read, their bronze writers (a flush at\n' +
    `least every second), and the tables declared with \`streaming: true\` in micro-batches of new bronze files only; each\n` +
    "gold change is applied to PostgreSQL in the same breath and announced to the API's live feed. Window tables keep\n" +
    'event-time windows with a watermark; late rows go to <table>__quarantine with the reason. One stream at a time;\n' +
    'while it runs, `pnpm job:*` leaves the streaming tables to it. Stop with SIGTERM/SIGINT; after a crash, start it again:\n' +
    'nothing is lost and nothing counted twice (docs/streaming.md).',
  options: {
    'no-collect': {
      type: 'boolean',
      description: 'Do not run the collectors (events reach the streams from elsewhere)',
    },
    'status-seconds': { type: 'string', valueName: 's', description: 'Print a status line this often', default: '10' },
  },
  details:
    'Streaming tables: those declared with `streaming: true` in silver/tables and gold/tables (`pnpm job:silver --dry-run` lists every table).',
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');
const { withRuntime } = await import('../lake/runtime.ts');
const { runStream } = await import('../pipeline/stream-supervisor.ts');

runMain(async () => {
  const statusMillis = Number(values['status-seconds']) * 1000;
  if (!(statusMillis > 0)) throw new TerminalError('--status-seconds must be a positive number');
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  return withRuntime(config(), async (rt) => {
    await runStream(rt, { collect: !values['no-collect'], statusMillis, signal: stop.signal });
    return 0;
  });
});
