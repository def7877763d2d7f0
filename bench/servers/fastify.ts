/** Fastify 5 benchmark server: `node --import tsx bench/servers/fastify.ts <variant>` (see fastify-app.ts). */
import { buildFastify, FASTIFY_VARIANTS } from './fastify-app.ts';
import { announce, exitOnSignal, variantArg } from './shared.ts';

exitOnSignal();
const { app } = await buildFastify(variantArg(FASTIFY_VARIANTS));
await app.listen({ port: 0, host: '127.0.0.1' });
announce(app.server.address());
