/**
 * kill -9 storm: one web and two worker processes (1 s job lock, 0.5 s stall checks), 20 release
 * tasks of 5-10 components started one after another, and SIGKILLs of a worker while they run,
 * each worker restarted at once. Half the kills land at a random moment; the other half right
 * after a worker's platform step was applied (seen in Redis MONITOR: the simulated platform's
 * commit script with a write), before the worker can record it in the task: the moment where
 * only the platform's opId dedupe stands between a re-delivered step and a second application.
 *
 * Figures: tasks created; components; kills (that hit while a task was running); lost (a
 * component never applied or not Released); doubled (applications beyond the first, from the
 * platform's per-component counter); unfinished (tasks not Released); cards (top-level messages
 * in the channel, which must be one per task, each task's card among them).
 */
import {
  allSettled,
  anyActive,
  botEnv,
  cardCount,
  connectionPorts,
  createText,
  Figures,
  monitorRedis,
  progress,
  rng,
  seedUpgrades,
  slackQueueIdle,
  SlackUser,
  sleep,
  spawnBot,
  stage,
  tally,
  taskSpecs,
  waitFor,
  type BotProcess,
  type ScenarioContext,
  type ScenarioResult,
} from './harness.js';

const CHANNEL = 'C0STORM';
const TASKS = 20;
const KILLS = 6;
const MIN_KILLS = 5;

interface Kill {
  worker: string;
  mode: 'random' | 'after-apply';
  /** after-apply only: the step was still unrecorded in its task right after the kill. */
  beforeRecord?: boolean;
}

export async function killStorm(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = rng(ctx.seed);
  const { redis, slack, store, prefix } = await stage(ctx, { prefix: 'chaos-storm', random });

  const specs = taskSpecs(random, 'storm', TASKS, 5, 10, 2);
  await seedUpgrades(store, specs);
  const baseline = await store.platform.appliedCounts();

  const base = { redisUrl: redis.url, prefix, slackApiUrl: slack.apiUrl };
  const tuning = { CARD_COALESCE_MS: '250', SLACK_CALLS_PER_SEC: '50' };
  const workerEnv = botEnv({ ...base, role: 'worker' }, {
    ...tuning,
    JOB_LOCK_MS: '1000',
    JOB_STALLED_INTERVAL_MS: '500',
    SIM_LATENCY_MS: '500',
    WORKER_CONCURRENCY: '3',
  });
  const spawned: BotProcess[] = [];
  const launch = async (name: string, env: Record<string, string>) => {
    const p = await spawnBot(name, env);
    spawned.push(p);
    return p;
  };
  ctx.defer(() => Promise.all(spawned.map((p) => p.stop(2000))).then(() => undefined));
  const [web, w1, w2] = await Promise.all([
    launch('web', botEnv({ ...base, role: 'web' }, tuning)),
    launch('worker-1', workerEnv),
    launch('worker-2', workerEnv),
  ]);
  const workers: Array<BotProcess | undefined> = [w1, w2];
  const user = new SlackUser(web!.url, CHANNEL, 'U0STORM', slack.base);
  ctx.log(`kill-storm: web ${web!.pid}, workers ${w1!.pid} ${w2!.pid}`);

  // Which worker sent a command seen in MONITOR: its Redis connections' local ports.
  const portToSlot = new Map<number, number>();
  const mapPorts = () => {
    portToSlot.clear();
    workers.forEach((w, slot) => {
      if (w?.alive) for (const p of connectionPorts(w.pid, redis.port)) portToSlot.set(p, slot);
    });
  };
  mapPorts();
  const killed = new Set<number>();
  let armed: ((hit: { slot: number; opKey: string }) => void) | undefined;
  const stopMonitor = await monitorRedis(redis.port, ({ source, args }) => {
    // The platform's commit: EVAL <script> 4 <op> <env> <envs> <applied> <name> <raw> <write> …; a
    // non-empty write is an application. MONITOR shows it once Redis has run it.
    if (!armed || args[0]?.toLowerCase() !== 'eval' || !args[1]?.includes('HINCRBY') || !args[9]) return;
    const port = Number(source.split(':').pop());
    let slot = portToSlot.get(port);
    if (slot === undefined) {
      mapPorts();
      slot = portToSlot.get(port);
    }
    const w = slot === undefined ? undefined : workers[slot];
    if (slot === undefined || !w?.alive) return;
    killed.add(w.pid);
    w.child.kill('SIGKILL');
    const fire = armed;
    armed = undefined;
    fire({ slot, opKey: args[3] ?? '' });
  });
  ctx.defer(stopMonitor);

  // Tasks are created and started one after another while the kills go on.
  const starter = (async () => {
    for (const s of specs) {
      if (ctx.signal.aborted) return;
      s.id = await user.create(createText(s));
      await user.start(s.id);
      await sleep(1000);
    }
  })();
  let starterDone = false;
  void starter.then(() => (starterDone = true), () => (starterDone = true));

  const kills: Kill[] = [];
  const restarts: Array<Promise<void>> = [];
  const stormDeadline = Date.now() + 70_000;
  while (kills.length < KILLS && Date.now() < stormDeadline && !ctx.signal.aborted) {
    await sleep(1000 + random() * 1500);
    const live = specs.filter((s) => s.id);
    if (starterDone && (await allSettled(store, live))) break;
    const mode: Kill['mode'] = kills.length % 2 === 1 ? 'after-apply' : 'random';
    const ready = () => workers.map((w, slot) => (w?.alive ? slot : -1)).filter((s) => s >= 0);
    if (ready().length === 0) continue;
    let slot: number | undefined;
    let kill: Kill | undefined;
    if (mode === 'after-apply') {
      const hit = await new Promise<{ slot: number; opKey: string } | undefined>((resolve) => {
        const timer = setTimeout(() => {
          armed = undefined;
          resolve(undefined);
        }, 4000);
        armed = (h) => {
          clearTimeout(timer);
          resolve(h);
        };
      });
      if (hit) {
        slot = hit.slot;
        // <prefix>:{sim}:op:<task>-<run>-<component>
        const m = /:\{sim\}:op:(rt-[0-9a-z]{6})-(\d+)-(.+)$/.exec(hit.opKey);
        const task = m ? await store.tasks.get(m[1]!) : undefined;
        const comp = task?.components.find((c) => c.name === m?.[3]);
        kill = { worker: workers[slot]!.name, mode, beforeRecord: comp?.status === 'Releasing' };
      }
    }
    if (slot === undefined) {
      // A random moment: any live worker, as long as some release is running.
      if (!(await anyActive(store, live))) continue;
      const candidates = ready();
      if (candidates.length === 0) continue;
      slot = candidates[Math.floor(random() * candidates.length)]!;
      killed.add(workers[slot]!.pid);
      workers[slot]!.child.kill('SIGKILL');
      kill = { worker: workers[slot]!.name, mode: 'random' };
    }
    kills.push(kill!);
    ctx.log(`kill-storm: kill ${kills.length} ${kill!.mode} ${kill!.worker}${kill!.beforeRecord ? ' (before record)' : ''}`);
    const dead = workers[slot]!;
    workers[slot] = undefined;
    const s = slot;
    restarts.push(
      (async () => {
        await dead.exited();
        workers[s] = await launch(`worker-${s + 1}.${kills.length}`, workerEnv);
        mapPorts();
      })(),
    );
  }
  armed = undefined;
  await starter;
  await Promise.all(restarts);

  const live = specs.filter((s) => s.id);
  await waitFor('every task to settle', 45_000, () => allSettled(store, live), {
    signal: ctx.signal,
    everyMs: 200,
    describe: () => progress(store, specs),
  }).catch((err: Error) => ctx.log(err.message));
  // A card post held by a killed worker's slack job comes back when its 30 s lock lapses.
  await waitFor('every task to have its card', 65_000, async () => (await cardCount(store, slack, CHANNEL, live)).tasksWithCard === live.length, {
    signal: ctx.signal,
    everyMs: 250,
  }).catch((err: Error) => ctx.log(err.message));
  await slackQueueIdle(store, 10_000, ctx.signal).catch(() => undefined);

  const t = await tally(store, specs, baseline);
  const cards = await cardCount(store, slack, CHANNEL, specs);
  const afterApply = kills.filter((k) => k.mode === 'after-apply').length;
  const beforeRecord = kills.filter((k) => k.beforeRecord).length;
  const f = new Figures('kill-storm')
    .add(`${t.tasks} tasks`, t.tasks === TASKS, `${TASKS}`)
    .add(`${t.components} components`, t.components > 0, 'more than 0')
    .add(`${kills.length} kills (${afterApply} just after an apply, ${beforeRecord} of them before it was recorded)`, kills.length >= MIN_KILLS, `at least ${MIN_KILLS} kills while releases ran`)
    .add(`lost ${t.lost}`, t.lost === 0, '0')
    .add(`doubled ${t.doubled}`, t.doubled === 0, '0')
    .add(`unfinished ${t.unfinished}`, t.unfinished === 0, '0')
    .add(`cards ${cards.messages} for ${TASKS} tasks`, cards.messages === TASKS && cards.tasksWithCard === TASKS, `one card per task (${cards.tasksWithCard} tasks have theirs)`);
  // Any process that went away without being killed by the storm is a crash.
  for (const p of spawned.filter((x) => !x.alive && !killed.has(x.pid))) {
    f.fail(`${p.name} exited by itself (${p.child.exitCode ?? p.child.signalCode}): ${p.output().trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
  }
  if (cards.messages !== TASKS) {
    const cardTs = new Set<string>();
    for (const s of specs) {
      const ref = s.id ? await store.cards.get(s.id) : undefined;
      if (ref) cardTs.add(ref.ts);
    }
    for (const m of slack.standin.messages(CHANNEL).filter((x) => !cardTs.has(x.ts))) f.note(`extra top-level message ${m.ts}: ${m.text ?? ''}`);
  }
  for (const d of t.details.slice(0, 20)) f.note(d);
  f.note(`seed ${ctx.seed}`);
  return f.result();
}
