// Preloaded into the bench's `factorgate start` (`node --expose-gc --import <this file>`): SIGUSR2
// runs a full garbage collection, so the memory scenario reads RSS and heap without uncollected
// garbage. Bench only; the server itself never exposes gc.
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') globalThis.gc();
});
