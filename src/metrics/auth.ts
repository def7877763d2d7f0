/**
 * Bearer-token check for /api/metrics. Comparison is constant-time over fixed-length digests and
 * always walks every configured token, so neither the length of a guess nor which token of a
 * rotation matched shows in the timing. Tokens never leave this module.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export interface TokenVerifier {
  /** True when the Authorization header carries one of the accepted tokens. */
  verify(authorization: string | string[] | undefined): boolean;
}

export function createTokenVerifier(tokens: readonly string[]): TokenVerifier {
  if (tokens.length === 0) throw new TypeError('createTokenVerifier needs at least one token');
  const digests = tokens.map(digest);
  return {
    verify(authorization) {
      const header = Array.isArray(authorization) ? authorization[0] : authorization;
      const presented = header !== undefined ? /^\s*bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
      const candidate = digest(presented ?? '');
      let ok = 0;
      for (const d of digests) ok |= timingSafeEqual(candidate, d) ? 1 : 0;
      return ok === 1 && presented !== undefined;
    },
  };
}
