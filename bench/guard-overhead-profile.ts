// CPU profiling for `npm run bench:guard -- --cpu-prof=DIR`: a V8 profile of the services'
// process and of the bench (client) process over a steady-state phase of guarded calls, written
// as .cpuprofile files (open in Chrome DevTools) and summarised by component and by service.
// Separate from the measured rounds: the profiler's own cost must not change the figures.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Starts a V8 CPU profile of this process; the returned function stops it and gives the profile. */
export async function startProfiling(): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile as unknown as CpuProfile;
  };
}

/**
 * The child's side: SIGUSR2 starts a profile, the next SIGUSR2 writes it to `file` (then
 * `${file}.done`, which the parent waits for). SIGUSR1 is Node's inspector signal, so USR2.
 */
export async function profileOnSignal(file: string): Promise<void> {
  const statements = await countPostgresStatements();
  let stop: (() => Promise<CpuProfile>) | undefined;
  process.on('SIGUSR2', () => {
    if (stop === undefined) {
      statements.clear();
      void startProfiling().then((s) => { stop = s; });
      return;
    }
    const stopping = stop;
    stop = undefined;
    void stopping().then((profile) => {
      writeFileSync(file, JSON.stringify(profile));
      writeFileSync(`${file}.sql.json`, JSON.stringify(Object.fromEntries(statements)));
      writeFileSync(`${file}.done`, '');
    });
  });
}

/** Counts the statements sent to Postgres (by their first words), to show the round trips per call. */
async function countPostgresStatements(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const { default: pg } = await import('pg');
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const sql = (typeof config === 'string' ? config : config?.text ?? '?').replace(/\s+/g, ' ').trim().slice(0, 70);
    counts.set(sql, (counts.get(sql) ?? 0) + 1);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return counts;
}

/** Which part of the system a frame belongs to, from its script URL. */
export function componentOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : 'V8/native';
  if (url.startsWith('node:')) return `node:${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1]!;
  const shared = /libs\/shared\/src\/([^/]+)/.exec(url);
  if (shared !== null) return `@aegis/shared ${shared[1]}`;
  const service = /services\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(url);
  if (service !== null) return `${service[1]} ${service[2] ?? ''}`.trim();
  const lib = /libs\/([^/]+)\//.exec(url);
  if (lib !== null) return `@aegis/${lib[1]}`;
  return url.replace(/^file:\/\/\/work\/main\//, '');
}

function serviceOf(url: string): string | undefined {
  return /services\/([^/]+)\/src\//.exec(url)?.[1];
}

export interface ProfileSummary {
  sampledMs: number;
  byComponent: { component: string; selfMs: number; share: number }[];
  /** Self time put on the nearest frame that is not Node's own or native: which library caused it. */
  byCausingComponent: { component: string; selfMs: number; share: number }[];
  /** Self time by the service whose code is on the (synchronous) stack; `none on stack` for async continuations (socket reads, timers). */
  byService: { service: string; selfMs: number; share: number }[];
  topFunctions: { fn: string; component: string; service: string; selfMs: number; share: number }[];
}

/** Self time by component, by causing component, by service on the stack, and the top functions. */
export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0)));
  let totalUs = 0;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  const comp = new Map<string, number>();
  const causing = new Map<string, number>();
  const service = new Map<string, number>();
  const fns = new Map<string, { component: string; service: Map<string, number>; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    totalUs += us;
    const component = componentOf(node.callFrame.url, node.callFrame.functionName);
    add(comp, component, us);
    let cause = component;
    let svc: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      const c = componentOf(f.url, f.functionName);
      if ((cause.startsWith('node:') || cause === 'V8/native') && !c.startsWith('node:') && c !== 'V8/native' && !c.startsWith('(')) cause = c;
      svc ??= serviceOf(f.url);
    }
    add(causing, cause, us);
    add(service, svc ?? 'none on stack', us);
    const fnKey = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|libs|services)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;
    const entry = fns.get(fnKey) ?? { component, service: new Map(), us: 0 };
    entry.us += us;
    add(entry.service, svc ?? '-', us);
    fns.set(fnKey, entry);
  }
  const rows = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ k, selfMs: Math.round(us / 100) / 10, share: Math.round((us / totalUs) * 1000) / 1000 }));
  return {
    sampledMs: Math.round(totalUs / 1000),
    byComponent: rows(comp).map(({ k, ...r }) => ({ component: k, ...r })),
    byCausingComponent: rows(causing).map(({ k, ...r }) => ({ component: k, ...r })),
    byService: rows(service).map(({ k, ...r }) => ({ service: k, ...r })),
    topFunctions: [...fns].sort((a, b) => b[1].us - a[1].us).slice(0, top).map(([fn, e]) => ({
      fn, component: e.component, service: [...e.service].sort((a, b) => b[1] - a[1]).map(([s]) => s).join('/'),
      selfMs: Math.round(e.us / 100) / 10, share: Math.round((e.us / totalUs) * 1000) / 1000,
    })),
  };
}

export function writeProfile(dir: string, name: string, profile: CpuProfile): string {
  const file = join(dir, `${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}
