/**
 * Worker thread of the raw recorder: receives batches of frames (structured clone, no
 * formatting on the feed thread), formats envelope lines and writes the gzip files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RecorderFiles } from './recorderFiles.ts';
import type { RecorderFilesConfig } from './recorderFiles.ts';
import { unpackFrames } from './framePacking.ts';
import type { PackedFrames } from './framePacking.ts';

type In = { t: 'frames'; packed: PackedFrames; bytes: number } | { t: 'close' };

const port = parentPort!;
const files = new RecorderFiles(workerData as RecorderFilesConfig, (message) => port.postMessage({ t: 'error', message }));
port.on('message', (m: In) => {
  if (m.t === 'frames') {
    files.write(unpackFrames(m.packed));
    port.postMessage({ t: 'written', bytes: m.bytes, stats: files.stats });
  } else {
    void files.close().then(() => port.postMessage({ t: 'closed', stats: files.stats }));
  }
});
