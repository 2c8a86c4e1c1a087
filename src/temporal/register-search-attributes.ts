import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { batonSearchAttributes, type BatonSearchAttributeName } from './search-attributes.ts';

// A CommonJS package: its namespace object comes through the default import.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const indexedType = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

const ALREADY_EXISTS = 6;

export interface SearchAttributeRegistration {
  added: BatonSearchAttributeName[];
  alreadyThere: BatonSearchAttributeName[];
}

/**
 * Registers Baton's search attributes on an external cluster; safe to run at every start and
 * from several processes at once (already-registered attributes are skipped, a lost race is fine).
 */
export async function registerSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<SearchAttributeRegistration> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const names = Object.keys(batonSearchAttributes) as BatonSearchAttributeName[];
  const missing = names.filter((name) => !known.has(name));
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, indexedType[batonSearchAttributes[name]]])),
      });
    } catch (error) {
      if ((error as { code?: number }).code !== ALREADY_EXISTS) {
        throw new Error(`could not register search attributes ${missing.join(', ')} in namespace ${namespace}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  return { added: missing, alreadyThere: names.filter((name) => known.has(name)) };
}
