/** The value of an environment variable that `npm test` (scripts/test.sh) sets; throws when it is missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: run the tests with 'npm test', which starts Redis, PostgreSQL and MariaDB`,
    );
  }
  return value;
}

/** redis://127.0.0.1:PORT of the shared test Redis. Use redisKeyPrefix() to keep keys apart. */
export const redisUrl = (): string => requireEnv('REDIS_URL');

/** postgres://postgres@127.0.0.1:PORT/postgres (superuser). Use freshPostgresDb() for tables. */
export const postgresUrl = (): string => requireEnv('POSTGRES_URL');

/** mysql://root@127.0.0.1:PORT/test (root). Use freshMysqlDb() for tables. */
export const mysqlUrl = (): string => requireEnv('MYSQL_URL');
