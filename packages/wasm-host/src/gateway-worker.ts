// Worker side of the supervised gateway (see watchdog.ts): runs startGateway, beats a heartbeat
// into shared memory and records which plugin callback is running.

import { parentPort, workerData } from 'node:worker_threads';
import { LogLevel } from './abi.js';
import { startGateway } from './gateway.js';
import { CALLBACK, CALLBACK_NAMES, HEARTBEAT, PLUGIN, type WorkerMessage } from './watchdog.js';

const { options, sab } = workerData as { options: Parameters<typeof startGateway>[0]; sab: SharedArrayBuffer };
const state = new Int32Array(sab);
const codes = new Map(CALLBACK_NAMES.map((n, i) => [n, i]));
const send = (m: WorkerMessage): void => parentPort?.postMessage(m);

async function main(): Promise<void> {
  const beat = setInterval(() => Atomics.add(state, HEARTBEAT, 1), 50);
  try {
    const gw = await startGateway({
      ...options,
      // Log lines go to the supervising thread, which writes them with its own logger.
      logger: (level, msg, fields) => {
        if (LogLevel[level] >= LogLevel[options.logLevel ?? 'info']) send({ type: 'log', level, msg, fields });
      },
      onCallback: (plugin, cb) => {
        if (cb === undefined) {
          Atomics.store(state, PLUGIN, 0);
          return;
        }
        Atomics.store(state, PLUGIN, plugin.chainIndex + 1);
        Atomics.store(state, CALLBACK, codes.get(cb) ?? 0);
      },
    });
    send({ type: 'listening', url: gw.url });
    parentPort?.on('message', (m: { type: string }) => {
      if (m.type !== 'close') return;
      void gw.close().finally(() => {
        clearInterval(beat);
        parentPort?.close();
      });
    });
  } catch (e) {
    clearInterval(beat);
    send({ type: 'error', message: (e as Error).message });
    parentPort?.close();
  }
}

void main();
