/**
 * Slack faults: one bot process (web and worker) releases 6 tasks while the fake Slack answers
 * chat.postMessage / chat.update / chat.postEphemeral with 429 and Retry-After for 4 s, then 500s
 * for 4 s, then takes 2-5 s over every answer for 8 s. Two tasks start in each phase.
 *
 * Figures: tasks; the fault answers served (each kind must have been served, or the scenario
 * proved nothing); releases unaffected (every task Released, each within its fault-free bound:
 * rounds of SIM_LATENCY_MS +20% jitter, plus 2 s); caught up (within 60 s of the faults ending,
 * every card shows its task's final state and every thread has its summary once and no reply
 * twice); max edits/s/card (the most posts+edits of one card seen by Slack in any 1 s window).
 */
import { taskCard } from '../../src/slack/blocks/task-card.js';
import {
  allSettled,
  botEnv,
  createText,
  Figures,
  progress,
  rng,
  SlackUser,
  sleep,
  spawnBot,
  stage,
  taskSpecs,
  waitFor,
  yesNo,
  type BotProcess,
  type ScenarioContext,
  type ScenarioResult,
  type SlackFault,
} from './harness.js';

const CHANNEL = 'C0FAULTS';
const TASKS = 6;
const LATENCY_MS = 700;
const PARALLEL = 2;
const COALESCE_MS = 1000;

export async function slackFaults(ctx: ScenarioContext): Promise<ScenarioResult> {
  const random = rng(ctx.seed + 2);
  const { redis, slack, store, prefix } = await stage(ctx, { prefix: 'chaos-slack', random });

  // Every post or edit of a top-level message, as Slack applied it.
  const touches = new Map<string, number[]>();
  slack.standin.events.on('message', (m: { ts: string; thread_ts?: string; channel: string }) => {
    if (m.channel !== CHANNEL || m.thread_ts) return;
    touches.set(m.ts, [...(touches.get(m.ts) ?? []), Date.now()]);
  });

  const specs = taskSpecs(random, 'sf', TASKS, 5, 8, PARALLEL).map((s) => ({ ...s, op: 'deploy' as const }));
  const procs: BotProcess[] = [];
  ctx.defer(() => Promise.all(procs.map((p) => p.stop(2000))).then(() => undefined));
  const bot = await spawnBot(
    'bot',
    botEnv({ redisUrl: redis.url, prefix, slackApiUrl: slack.apiUrl, role: 'all' }, {
      SIM_LATENCY_MS: String(LATENCY_MS),
      CARD_COALESCE_MS: String(COALESCE_MS),
      SLACK_CALLS_PER_SEC: '20',
      WORKER_CONCURRENCY: '8',
    }),
  );
  procs.push(bot);
  const user = new SlackUser(bot.url, CHANNEL, 'U0FAULTS', slack.base);
  for (const s of specs) s.id = await user.create(createText(s));
  await waitFor('every card posted', 15_000, async () => {
    for (const s of specs) if (!(await store.cards.get(s.id!))) return false;
    return true;
  }, { signal: ctx.signal });

  const phases: Array<{ fault: SlackFault; ms: number }> = [
    { fault: { kind: '429', retryAfterSec: 1 }, ms: 4000 },
    { fault: { kind: '500' }, ms: 4000 },
    { fault: { kind: 'slow', minMs: 2000, maxMs: 5000 }, ms: 8000 },
  ];
  let next = 0;
  for (const p of phases) {
    slack.fault = p.fault;
    ctx.log(`slack-faults: ${p.fault.kind}`);
    const until = Date.now() + p.ms;
    for (const s of specs.slice(next, next + 2)) await user.start(s.id!);
    next += 2;
    await sleep(Math.max(0, until - Date.now()));
  }
  slack.fault = { kind: 'none' };
  const faultsEnded = Date.now();

  await waitFor('every task to settle', 30_000, () => allSettled(store, specs), { signal: ctx.signal, everyMs: 200, describe: () => progress(store, specs) }).catch(
    (e: Error) => ctx.log(e.message),
  );

  // Releases unaffected: Released, and no slower than the platform alone makes them.
  let released = 0;
  let worstRatio = 0;
  let slowest = { ms: 0, bound: 0 };
  for (const s of specs) {
    const t = await store.tasks.get(s.id!);
    if (t?.status !== 'Released' || !t.startedAt || !t.endedAt) continue;
    released++;
    const ms = Date.parse(t.endedAt) - Date.parse(t.startedAt);
    const bound = Math.ceil(s.components.length / PARALLEL) * LATENCY_MS * 1.2 + 2000;
    if (ms / bound > worstRatio) {
      worstRatio = ms / bound;
      slowest = { ms, bound };
    }
  }
  const unaffected = released === TASKS && worstRatio <= 1;

  // Caught up: cards show the final state; threads have their summary once, nothing twice.
  const behind = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const s of specs) {
      const t = await store.tasks.get(s.id!);
      const ref = await store.cards.get(s.id!);
      const card = ref && slack.standin.messages(ref.channel).find((m) => m.ts === ref.ts);
      if (!t || !card) {
        out.push(`${s.id}: no card`);
        continue;
      }
      if (card.text !== taskCard(t, new Date()).text) out.push(`${s.id}: card says "${card.text}"`);
      const thread = slack.standin.thread(ref.channel, ref.ts).map((m) => m.text ?? '');
      const summaries = thread.filter((x) => x.startsWith('Released in')).length;
      if (summaries !== 1) out.push(`${s.id}: ${summaries} summaries in the thread`);
      if (new Set(thread).size !== thread.length) out.push(`${s.id}: a reply posted twice`);
    }
    return out;
  };
  let lagging: string[] = [];
  const caughtUpAt = await waitFor('cards and threads to catch up', 60_000, async () => ((lagging = await behind()).length === 0 ? Date.now() : undefined), {
    signal: ctx.signal,
    everyMs: 250,
  }).catch(() => undefined);

  // The most posts+edits of one card within any 1 s.
  let maxPerSec = 0;
  for (const times of touches.values()) {
    const sorted = [...times].sort((a, b) => a - b);
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= 1000) j++;
      maxPerSec = Math.max(maxPerSec, i - j + 1);
    }
  }

  const fx = slack.faults;
  const f = new Figures('slack-faults')
    .add(`${TASKS} tasks`, specs.every((s) => s.id), `${TASKS} created`)
    .add(`faults served: 429 ${fx['429']}, 500 ${fx['500']}, slow ${fx.slow}`, fx['429'] > 0 && fx['500'] > 0 && fx.slow > 0, 'each kind served at least once')
    .add(
      `releases unaffected ${yesNo(unaffected)} (${released}/${TASKS} Released, slowest ${(slowest.ms / 1000).toFixed(1)} s of ${(slowest.bound / 1000).toFixed(1)} s allowed)`,
      unaffected,
      'every task Released within its fault-free bound',
    )
    .add(
      `caught up ${yesNo(caughtUpAt !== undefined)}${caughtUpAt !== undefined ? ` (${((caughtUpAt - faultsEnded) / 1000).toFixed(1)} s after the faults)` : ''}`,
      caughtUpAt !== undefined,
      'every card and thread up to date within 60 s',
    )
    .add(`max edits/s/card ${maxPerSec}`, maxPerSec <= 1, 'at most 1');
  if (!bot.alive) f.fail(`the bot exited during the faults (${bot.child.exitCode ?? bot.child.signalCode})`);
  for (const l of lagging.slice(0, 10)) f.note(l);
  return f.result();
}
