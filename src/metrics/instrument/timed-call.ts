/**
 * Times one driver call in whichever style the driver used: a returned promise, a trailing callback,
 * or a returned event emitter ('end' / 'error'). The call's behaviour and result are unchanged.
 */
import type { QueryOperation } from '../catalog.ts';
import type { MetricsCollector } from '../collector.ts';

type AnyFn = (...args: unknown[]) => unknown;

export function timedCall(
  collector: MetricsCollector,
  operation: QueryOperation,
  target: unknown,
  original: AnyFn,
  args: unknown[],
): unknown {
  const started = performance.now();
  let recorded = false;
  const record = () => {
    if (recorded) return;
    recorded = true;
    try {
      collector.recordQuery(operation, (performance.now() - started) / 1000);
    } catch {
      // never into the query
    }
  };
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    const cb = last as AnyFn;
    args[args.length - 1] = function timedCallback(this: unknown, ...cbArgs: unknown[]) {
      record();
      return cb.apply(this, cbArgs);
    };
    return original.apply(target, args);
  }
  const result = original.apply(target, args);
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    (result as Promise<unknown>).then(record, record);
  } else if (result && typeof (result as NodeJS.EventEmitter).once === 'function') {
    (result as NodeJS.EventEmitter).once('end', record);
    (result as NodeJS.EventEmitter).once('error', record);
  }
  return result;
}
