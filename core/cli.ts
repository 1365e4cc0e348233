// Shared command-line plumbing: option parsing with --help on every command, and one way to exit on errors.
import { parseArgs } from 'node:util';
import { describeError, TerminalError } from './errors.ts';

type OptionSpec =
  | { type: 'boolean'; short?: string; description: string }
  | { type: 'string'; short?: string; description: string; default?: string; valueName?: string };

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** How the user runs it, e.g. `pnpm job:silver`. */
  usage: string;
  summary: string;
  options: O;
  /** Extra paragraphs shown under the options (examples, environment). */
  details?: string;
  allowPositionals?: boolean;
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { type: 'boolean' }
    ? boolean
    : O[K] extends { default: string }
      ? string
      : string | undefined;
};

/** The help text of a command, as printed by --help. */
export function helpText<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const rows = Object.entries({
    ...spec.options,
    help: { type: 'boolean', short: 'h', description: 'Show this help and exit' } as OptionSpec,
  }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
    const fallback = o.type === 'string' && o.default !== undefined ? ` (default: ${o.default})` : '';
    return [flag, `${o.description}${fallback}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const lines = [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
  ];
  if (spec.details) lines.push('', spec.details.trim());
  return lines.join('\n');
}

/** Parses argv; prints help and exits 0 on --help, prints the problem and exits 2 on a bad option. */
export function parseCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: string[] = process.argv.slice(2),
): { values: Values<O>; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [
      name,
      {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.type === 'string' && o.default !== undefined ? { default: o.default } : {}),
      },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    });
    if (values.help) {
      console.log(helpText(spec));
      process.exit(0);
    }
    for (const [name, o] of Object.entries(spec.options))
      if (o.type === 'boolean') (values as Record<string, unknown>)[name] ??= false;
    return { values: values as Values<O>, positionals };
  } catch (error) {
    console.error(argumentError(error as Error & { code?: string }, Object.keys(spec.options)));
    process.exit(2);
  }
}

/** What a command says of arguments it cannot take: the option it does not know, and those it does. */
export function argumentError(error: Error & { code?: string }, options: string[]): string {
  const known = ['--help', ...options.map((o) => `--${o}`)].join(', ');
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(error.message)?.[1] ?? 'an option';
    return `Unknown option ${option}; the options are ${known}. Run with --help to see what each does.`;
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return `${error.message.split('.')[0]}: this command takes options only (${known}). Run with --help.`;
  return `${error.message}\nRun with --help to see the options.`;
}

/** How long a failed command may take to close what it opened before it exits anyway. */
const FAILED_EXIT_GRACE_MILLIS = 3000;

/** Runs a command's main function: prints errors without a stack trace (unless STRATA_DEBUG=1) and sets the exit code. */
// biome-ignore lint/suspicious/noConfusingVoidType: a command returns its exit code, or nothing for 0
export function runMain(main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      console.error(`error: ${describeError(error)}`);
      if (process.env.STRATA_DEBUG === '1' && error instanceof Error) console.error(error.stack);
      process.exitCode = error instanceof TerminalError ? 2 : 1;
      // A failed command ends even if a connection or timer it opened is still alive (unref: no wait when none is).
      setTimeout(() => process.exit(), FAILED_EXIT_GRACE_MILLIS).unref();
    },
  );
}

/** Formats rows as an aligned text table for terminal summaries. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (/^-?[\d.,]+( ?[a-z%]+)?$/.test(c) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** The time at the start of a long-running process's log line (UTC, ISO-8601). */
export const stamp = () => new Date().toISOString();
