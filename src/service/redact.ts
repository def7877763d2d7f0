/**
 * Keeps phone numbers, e-mail addresses and secrets out of logs and error reports. The rules live in
 * the library's one redaction module (shared with the label guard); this re-export keeps the service's
 * imports local.
 */
export { createScrubber, REDACTED, type Scrubber } from '../metrics/index.ts';
