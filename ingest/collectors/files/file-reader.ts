// The worker thread of a file too large to parse on the collector's thread (see recordsInWorker in
// files-collector.ts): reads the file with fileRecords and posts its groups of records, one more each time the
// collector takes one.
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../../core/errors.ts';
import { type FileReading, fileRecords, type ReaderMessage } from './files-collector.ts';

const { reading, readAhead } = workerData as { reading: FileReading; readAhead: number };
const port = parentPort!;
let credits = readAhead;
let wake: (() => void) | undefined;
port.on('message', () => {
  credits++;
  wake?.();
});
const post = (message: ReaderMessage) => port.postMessage(message);
try {
  for await (const group of fileRecords(reading)) {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits--;
    post({ group });
  }
  post({ done: true });
} catch (error) {
  post({ error: describeError(error) });
}
port.removeAllListeners('message');
