/** Express 5 benchmark server: `node --import tsx bench/servers/express.ts <variant>` (see express-app.ts). */
import { buildExpress, EXPRESS_VARIANTS } from './express-app.ts';
import { announce, exitOnSignal, variantArg } from './shared.ts';

exitOnSignal();
const { app } = buildExpress(variantArg(EXPRESS_VARIANTS));
const server = app.listen(0, '127.0.0.1', () => announce(server.address()));
