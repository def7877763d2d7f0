/** The statement kind of a query, for the `operation` label: never the SQL text or its parameters. */
import type { QueryOperation } from '../catalog.ts';

const NODE_KINDS: Record<string, QueryOperation> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  MergeQueryNode: 'update',
};

const KEYWORDS: Record<string, QueryOperation> = {
  select: 'select',
  insert: 'insert',
  replace: 'insert',
  update: 'update',
  delete: 'delete',
};

/** From a Kysely operation node kind (`SelectQueryNode` -> `select`); raw SQL falls back to its keyword. */
export function operationOfNode(kind: string | undefined, sqlText?: string): QueryOperation {
  const op = kind === undefined ? undefined : NODE_KINDS[kind];
  if (op !== undefined) return op;
  return sqlText === undefined ? 'other' : operationOfSql(sqlText);
}

/**
 * From the first keyword of a statement, after leading comments and parentheses. Anything else
 * (WITH, CALL, DDL, SET) counts as `other`.
 */
export function operationOfSql(text: unknown): QueryOperation {
  if (typeof text !== 'string') return 'other';
  const m = /^(?:\s|\(|--[^\n]*\n|\/\*[\s\S]*?\*\/)*([A-Za-z]+)/.exec(text);
  return (m && KEYWORDS[m[1]!.toLowerCase()]) || 'other';
}
