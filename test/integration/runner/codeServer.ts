/**
 * code-server, started for one test run: on a loopback port, detached in its own process group so
 * that stopping it also ends its extension host and file watcher, with every file it writes kept
 * in the run's temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

/** An environment for code-server and Chromium that writes nothing into the user's home. */
export function isolatedEnv(tmp: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Variables from an enclosing VS Code (running this from its terminal) would confuse the server.
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
  for (const dir of ['config', 'data', 'tmp']) mkdirSync(join(tmp, 'xdg', dir), { recursive: true });
  return {
    ...env,
    XDG_CONFIG_HOME: join(tmp, 'xdg/config'),
    XDG_DATA_HOME: join(tmp, 'xdg/data'),
    TMPDIR: join(tmp, 'xdg/tmp'),
    ...extra,
  };
}

/** code-server in its own process group: its file watcher and extension host die with the group. */
export class CodeServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logPath: string,
  ) {}

  static start(bin: string, port: number, tmp: string, env: NodeJS.ProcessEnv): CodeServer {
    const logPath = join(tmp, 'code-server.log');
    const logFd = openSync(logPath, 'a');
    const args = [
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir', join(tmp, 'user-data'),
      '--extensions-dir', join(tmp, 'extensions'),
    ];
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', logFd, logFd], env });
    closeSync(logFd);
    return new CodeServer(child, port, logPath);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.exited) throw new Error(`code-server exited early (code ${this.child.exitCode}):\n${this.logTail()}`);
      try {
        const reply = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (reply.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    throw new Error(`code-server did not answer /healthz within ${timeoutMs / 1000} s:\n${this.logTail()}`);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM to the whole group, then SIGKILL to whatever is left. */
  async stop(): Promise<void> {
    if (!this.signalGroup('SIGTERM')) return;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      if (!this.signalGroup(0)) return;
      await sleep(100);
    }
    this.signalGroup('SIGKILL');
  }

  /** Last resort for `process.on('exit')`, where nothing asynchronous runs. */
  killNow(): void {
    this.signalGroup('SIGKILL');
  }

  /** Sends `signal` to the process group; false when the group no longer exists. */
  private signalGroup(signal: NodeJS.Signals | 0): boolean {
    if (this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
