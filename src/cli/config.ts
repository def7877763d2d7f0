import { type Config, ConfigError, loadConfig } from '../config.ts';

/** Loads config or exits 1 with the message (which names the variable, never its value). */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`askproai: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
