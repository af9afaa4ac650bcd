/**
 * The load generator, run as its own Node process (forked by load-client.ts) so the client's own
 * work (signing, HTTP parsing, timing) does not run on the event loop of the servers it measures,
 * much as Slack is not on the bot's machine. It fires a burst of correctly signed slash commands
 * at once and reports each request's wall time, from just before the request is written to the
 * last byte of the response, measured with performance.now().
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { signSlackRequest, slashCommandBody } from '../../test/support/slack-signing.js';
import type { BurstReply, BurstRequest, FromLoad, ToLoad } from './protocol.js';

// Keep-alive, no socket cap: a burst of N opens (then reuses) N connections, as Slack's edge would.
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 1_000 });

function send(msg: FromLoad): void {
  process.send?.(msg);
}

interface Outcome {
  ms: number;
  reused: boolean;
  status: number | string;
  body: string;
}

function post(url: URL, body: string, headers: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ ms: performance.now() - t0, reused: req.reusedSocket, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ ms: Number.NaN, reused: req.reusedSocket, status: err.message, body: '' }));
      },
    );
    req.on('error', (err) => resolve({ ms: Number.NaN, reused: req.reusedSocket, status: (err as NodeJS.ErrnoException).code ?? err.message, body: '' }));
    req.end(body);
  });
}

async function burst(r: BurstRequest): Promise<BurstReply> {
  const url = new URL(r.url);
  // Bodies and signatures are made before the clock starts for any of them.
  const prepared = r.texts.map((text) => {
    const body = slashCommandBody({ command: r.command, text, user_id: 'U0BENCH', channel_id: 'C0BENCH' });
    const signed = signSlackRequest(r.secret, body);
    return { text, body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed } };
  });
  const outcomes = await Promise.all(prepared.map((p) => post(url, p.body, p.headers)));
  const reply: BurstReply = { type: 'burst', id: r.id, samples: [], ok: 0, newConnections: 0, failed: 0, failures: [] };
  outcomes.forEach((o, i) => {
    reply.samples.push(o.ms);
    if (!o.reused) reply.newConnections++;
    const good = o.status === 200 && (r.expectBody === undefined || o.body.includes(r.expectBody));
    if (good) {
      reply.ok++;
      return;
    }
    reply.failed++;
    if (reply.failures.length < 3) reply.failures.push({ text: prepared[i]!.text, status: o.status, body: o.body.slice(0, 300) });
  });
  return reply;
}

process.on('message', (msg: ToLoad) => {
  if (msg.type === 'close') {
    agent.destroy();
    process.disconnect();
    return;
  }
  burst(msg).then(send, (err: Error) =>
    send({ type: 'burst', id: msg.id, samples: [], ok: 0, newConnections: 0, failed: msg.texts.length, failures: [{ text: '', status: err.message, body: '' }] }),
  );
});
// The parent went away (crash, Ctrl-C): go too.
process.on('disconnect', () => {
  agent.destroy();
  process.exit(0);
});
send({ type: 'ready' });
