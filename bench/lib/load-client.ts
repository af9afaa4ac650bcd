/** The benchmark's handle on its load-generator process (see load-process.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import type { BurstReply, BurstRequest, FromLoad, ToLoad } from './protocol.js';

export interface LoadClient {
  /** Fires all texts at once as signed slash commands; resolves with per-request timings. */
  burst(req: Omit<BurstRequest, 'type' | 'id'>): Promise<BurstReply>;
  close(): Promise<void>;
}

export async function startLoadClient(): Promise<LoadClient> {
  // fork() passes on this process's execArgv, i.e. tsx's loader, so the child can be TypeScript.
  const child: ChildProcess = fork(new URL('./load-process.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (r: BurstReply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`load generator exited (${signal ?? code})`));
      pending.clear();
      resolve();
    }),
  );

  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load generator exited at start (${code})`)));
    child.on('message', (msg: FromLoad) => {
      if (msg.type === 'ready') return resolve();
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      p?.resolve(msg);
    });
  });

  const post = (msg: ToLoad) => child.send(msg);
  return {
    burst(req) {
      if (exited) return Promise.reject(new Error('load generator is not running'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        post({ type: 'burst', id, ...req });
      });
    },
    async close() {
      if (exited) return;
      post({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
