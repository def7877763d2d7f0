import { createServer } from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago (the kernel picks it: bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the bound address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** True when an error message says the port was taken between freePort() and the bind. */
export function isAddressInUse(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /address already in use|EADDRINUSE|bind: address|Address in use/i.test(text);
}

/**
 * Run `start(port)` on a fresh free port; when the process lost the race for the port to someone else
 * (another test file picks ports at the same time), try again with a new port.
 */
export async function withFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (error) {
      lastError = error;
      if (!isAddressInUse(error)) throw error;
    }
  }
  throw lastError;
}
