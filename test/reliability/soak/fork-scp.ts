/**
 * An SCP child process for the soak (scp-child.mjs, echo-scp-child.mjs): forked with --expose-gc,
 * it reports its port once listening, its memory on request and every escaping exception.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ScpChild {
  readonly child: ChildProcess;
  readonly port: number;
  /** The child's counters (`{ type: 'stats', ... }` answered to a 'stats' message). */
  stats<T>(): Promise<T>;
  /** Asks the child to stop and waits for it to exit. */
  stop(): Promise<void>;
}

/** Forks `script` (a file next to this one); `onEscape` hears each uncaught error it reports. */
export async function startScpChild(script: string, onEscape: (error: string) => void): Promise<ScpChild> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m: { type: string; error?: string }) => void (m.type === 'escape' && onEscape(m.error ?? '')));
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    child,
    port,
    stats<T>() {
      return new Promise<T>((resolve) => {
        const on = (m: { type: string } & T) => {
          if (m.type !== 'stats') return;
          child.off('message', on);
          resolve(m);
        };
        child.on('message', on);
        child.send('stats');
      });
    },
    async stop() {
      child.send('stop');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
