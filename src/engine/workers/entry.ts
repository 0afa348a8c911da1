/** The worker_threads entry of the engine: serves the run share main handed over in workerData. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from './protocol.js';
import { serveWorker } from './serve.js';

if (!parentPort) throw new Error('engine worker entry must run in a worker thread');
serveWorker(parentPort, workerData as WorkerInit, true);
