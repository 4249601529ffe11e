// A real Crocevia server for the browser tests: the already-built binary (scripts/e2e builds
// it), a fresh data directory, a free port on loopback, the demo network.
//
//   const server = await startServer();   // server.url = 'http://127.0.0.1:PORT'
//   ...
//   await server.stop();
//
// CROCEVIA_BIN overrides the binary (default: target/debug/crocevia at the repository root,
// or under CARGO_TARGET_DIR when that is set).
// The server's output is kept and printed when it fails to start or dies early.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export function binaryPath() {
  if (process.env.CROCEVIA_BIN) return resolve(process.env.CROCEVIA_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repoRoot, process.env.CARGO_TARGET_DIR) : join(repoRoot, 'target');
  return join(targetDir, 'debug', 'crocevia');
}

/**
 * Starts `crocevia --data-dir DIR --listen 127.0.0.1:0 serve --demo` and resolves once it
 * prints "Crocevia is running at URL".
 *
 * @param {{ args?: string[], env?: Record<string, string> }} [options]
 *   args: extra arguments after `serve --demo`; env: extra environment variables.
 * @returns {Promise<{ url: string, dataDir: string, output: () => string, stop: () => Promise<void> }>}
 */
export async function startServer(options = {}) {
  const bin = binaryPath();
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it first (cargo build -p crocevia), or set CROCEVIA_BIN`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'crocevia-e2e-'));
  const args = ['--data-dir', dataDir, '--listen', '127.0.0.1:0', 'serve', '--demo', ...(options.args ?? [])];
  const env = { ...process.env, CROCEVIA_LOG: process.env.CROCEVIA_LOG ?? 'warn' };
  // The server must not pick up a database or address from the environment it runs in.
  for (const name of ['CROCEVIA_DATABASE_URL', 'CROCEVIA_LISTEN', 'CROCEVIA_DATA_DIR', 'CROCEVIA_PUBLIC_URL']) {
    delete env[name];
  }
  Object.assign(env, options.env ?? {});

  const child = spawn(bin, args, { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = null;
  const exitPromise = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit(exited);
    });
  });

  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${STARTUP_TIMEOUT_MS / 1000} s:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk.toString();
      const match = output.match(/Crocevia is running at (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1].replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      output += chunk.toString();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${error.message}`));
    });
    exitPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    });
  });

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (exited === null) {
      child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((r) => {
        timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS);
      });
      const outcome = await Promise.race([exitPromise, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  // If the test process dies, do not leave a server behind.
  process.once('exit', () => {
    if (exited === null) child.kill('SIGKILL');
  });

  return { url, dataDir, output: () => output, stop };
}

/** The password of every account the browser tests create. */
export const TEST_PASSWORD = 'una-password-lunga-e-sicura';

/**
 * Creates a back-office account with the CLI, on a running server's data directory.
 * @param {{ dataDir: string }} server
 */
export function createUser(server, organization, email, role) {
  const result = spawnSync(
    binaryPath(),
    ['--data-dir', server.dataDir, 'user', 'create', '--organization', organization, '--email', email, '--role', role, '--password-stdin'],
    { input: `${TEST_PASSWORD}\n`, env: { ...process.env, CROCEVIA_LOG: 'warn' }, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`user create failed:\n${result.stdout}\n${result.stderr}`);
  }
}
