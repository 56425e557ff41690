/**
 * Output that ends quietly when its reader goes away (`factorgate users list | head -1`): the
 * shell closes the pipe, the next write fails with EPIPE, and without a listener Node reports
 * that 'error' event as an uncaught exception with a stack. A closed output is not a failure
 * of the command: the listener swallows EPIPE, and commands that print a lot stop early
 * (`isClosed`) instead of working for a reader that is gone.
 */
import type { Writable } from 'node:stream';

/** Swallows EPIPE (the reader closed the pipe); any other write error is reported on stderr. */
export function endQuietlyOnClosedPipe(stream: Writable, name: string): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    process.exitCode = 1;
    if (stream !== process.stderr) process.stderr.write(`factorgate: cannot write to ${name}: ${err.message}\n`);
  });
}

/** True once nobody reads this stream any more. */
export function isClosed(stream: Writable): boolean {
  return stream.destroyed || stream.writableEnded;
}

/**
 * Writes one chunk, waiting for the reader when its buffer is full. Resolves false when the
 * stream is closed (before or while waiting), so a loop can stop.
 */
export async function writeOut(stream: Writable, chunk: string): Promise<boolean> {
  if (isClosed(stream)) return false;
  if (stream.write(chunk)) return !isClosed(stream);
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
  return !isClosed(stream);
}
