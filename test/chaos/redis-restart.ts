/**
 * Redis restart: a web and a worker process release 8 tasks while redis-server (append-only file
 * on) goes away twice: first a clean SHUTDOWN, then kill -9; each time it is restarted on the same
 * port with the same data directory after a few seconds.
 *
 * Figures: tasks; components; outages that began while a release ran; readyz 503 during (every
 * /readyz poll of both processes while Redis was down answered 503); 200 after (both answered 200
 * again within 30 s of the restart); lost, doubled, unfinished as in kill-storm (the simulated
 * platform's per-component application counter against each task's record).
 */
import {
  allSettled,
  anyActive,
  botEnv,
  createText,
  Figures,
  probe,
  progress,
  rng,
  seedUpgrades,
  SlackUser,
  sleep,
  spawnBot,
  stage,
  tally,
  taskSpecs,
  waitFor,
  yesNo,
  type BotProcess,
  type ScenarioContext,
  type ScenarioResult,
  type Store,
  type TaskSpec,
} from './harness.js';

const CHANNEL = 'C0RESTART';
const TASKS = 8;
const DOWN_MS = 3000;

interface Outage {
  how: 'SHUTDOWN' | 'kill -9';
  duringRelease: boolean;
  /** /readyz answers while Redis was down, every process. */
  during: number[];
  /** ms from the restart until every process answered 200, or undefined. */
  readyAfterMs?: number;
}

async function releasedCount(store: Store, specs: TaskSpec[]): Promise<number> {
  let n = 0;
  for (const s of specs) {
    const t = s.id ? await store.tasks.get(s.id) : undefined;
    n += t?.components.filter((c) => c.status === 'Released').length ?? 0;
  }
  return n;
}

export async function redisRestart(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = rng(ctx.seed + 1);
  const { redis, slack, store, prefix } = await stage(ctx, { prefix: 'chaos-restart', aof: true, random });

  const specs = taskSpecs(random, 'rr', TASKS, 5, 8, 2);
  await seedUpgrades(store, specs);
  const baseline = await store.platform.appliedCounts();

  const base = { redisUrl: redis.url, prefix, slackApiUrl: slack.apiUrl };
  const tuning = { CARD_COALESCE_MS: '250', SLACK_CALLS_PER_SEC: '50' };
  const procs: BotProcess[] = [];
  ctx.defer(() => Promise.all(procs.map((p) => p.stop(2000))).then(() => undefined));
  const [web, worker] = await Promise.all([
    spawnBot('web', botEnv({ ...base, role: 'web' }, tuning)),
    spawnBot('worker', botEnv({ ...base, role: 'worker' }, { ...tuning, JOB_LOCK_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000', SIM_LATENCY_MS: '800', WORKER_CONCURRENCY: '4' })),
  ]);
  procs.push(web, worker);
  const user = new SlackUser(web.url, CHANNEL, 'U0RESTART', slack.base);
  for (const s of specs) {
    s.id = await user.create(createText(s));
    await user.start(s.id);
  }
  const describe = () => progress(store, specs);
  const opts = { signal: ctx.signal, everyMs: 100, describe };
  await waitFor('releases to be under way', 20_000, async () => (await releasedCount(store, specs)) >= 3, opts);

  const outages: Outage[] = [];
  const outage = async (how: Outage['how']) => {
    const duringRelease = await anyActive(store, specs);
    ctx.log(`redis-restart: ${how}`);
    if (how === 'SHUTDOWN') await redis.shutdown();
    else await redis.kill9();
    const during: number[] = [];
    const downUntil = Date.now() + DOWN_MS;
    while (Date.now() < downUntil) {
      during.push(...(await Promise.all(procs.map((p) => probe(p.url, '/readyz', 2500)))));
      await sleep(250);
    }
    await redis.restart();
    const back = Date.now();
    const readyAfterMs = await waitFor(
      '/readyz 200 from every process after the restart',
      30_000,
      async () => ((await Promise.all(procs.map((p) => probe(p.url, '/readyz', 2500)))).every((s) => s === 200) ? Date.now() - back : undefined),
      { signal: ctx.signal, everyMs: 200 },
    ).catch(() => undefined);
    outages.push({ how, duringRelease, during, ...(readyAfterMs !== undefined ? { readyAfterMs } : {}) });
    ctx.log(`redis-restart: ${how}: during ${during.join(' ')}, ready after ${readyAfterMs} ms`);
  };

  await outage('SHUTDOWN');
  const afterFirst = await releasedCount(store, specs);
  await waitFor('releases to go on after the first restart', 20_000, async () => (await releasedCount(store, specs)) >= afterFirst + 2, opts).catch((e: Error) =>
    ctx.log(e.message),
  );
  await outage('kill -9');
  await waitFor('every task to settle', 60_000, () => allSettled(store, specs), { ...opts, everyMs: 250 }).catch((e: Error) => ctx.log(e.message));

  const t = await tally(store, specs, baseline);
  const during = outages.flatMap((o) => o.during);
  const all503 = during.length > 0 && during.every((s) => s === 503);
  const allBack = outages.length === 2 && outages.every((o) => o.readyAfterMs !== undefined);
  const slowest = Math.max(...outages.map((o) => o.readyAfterMs ?? Infinity));
  const duringRelease = outages.filter((o) => o.duringRelease).length;
  const f = new Figures('redis-restart')
    .add(`${t.tasks} tasks`, t.tasks === TASKS, `${TASKS}`)
    .add(`${t.components} components`, t.components > 0, 'more than 0')
    .add(`${duringRelease} outages during releases (SHUTDOWN, kill -9)`, duringRelease === 2, '2: both while a task was releasing')
    .add(`readyz 503 during ${yesNo(all503)}`, all503, `503 from every poll while Redis was down (got ${during.join(' ')})`)
    .add(`200 after ${yesNo(allBack)}${allBack ? ` (${(slowest / 1000).toFixed(1)} s)` : ''}`, allBack, '200 from every process within 30 s of each restart')
    .add(`lost ${t.lost}`, t.lost === 0, '0')
    .add(`doubled ${t.doubled}`, t.doubled === 0, '0')
    .add(`unfinished ${t.unfinished}`, t.unfinished === 0, '0');
  for (const p of procs.filter((x) => !x.alive)) f.fail(`${p.name} exited during the outages (${p.child.exitCode ?? p.child.signalCode})`);
  for (const d of t.details.slice(0, 20)) f.note(d);
  if (t.unfinished) f.note(`worker output:\n${worker.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-8).join('\n')}`);
  return f.result();
}
