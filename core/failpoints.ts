// Named crash points for fault tests. STRATA_FAILPOINT="<name>:<n>" makes the n-th hit of <name> SIGKILL this process:
// a real, unannounced death at an exact place (e.g. after a commit, before the acknowledge). Unset in production.

const spec = /^([\w-]+):(\d+)$/.exec(process.env.STRATA_FAILPOINT ?? '');
const hits = new Map<string, number>();

/** Marks a place where a crash must be survivable; kills the process here when the fault test asks for it. */
export function failpoint(name: string): void {
  if (!spec || spec[1] !== name) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  if (count === Number(spec[2])) process.kill(process.pid, 'SIGKILL');
}
