// OpenSearch for tests: the node scripts/services/opensearch starts on 127.0.0.1:9200, index prefixes
// no other test uses, and removing a test's indices (by name: the node refuses wildcard deletes).
export const OPENSEARCH_HOST = "127.0.0.1";
export const OPENSEARCH_PORT = 9200;
export const OPENSEARCH_URL = `http://${OPENSEARCH_HOST}:${OPENSEARCH_PORT}`;

/** An index prefix no other test uses. */
export const uniqueIndexPrefix = () => `t${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** Deletes the indices chatd made under `prefix`; missing ones are fine. */
export async function deleteIndices(prefix: string, url = OPENSEARCH_URL): Promise<void> {
  for (const name of ["messages", "search-state"]) {
    const response = await fetch(`${url}/${prefix}-${name}`, { method: "DELETE" });
    if (!response.ok && response.status !== 404)
      throw new Error(`deleting ${prefix}-${name}: ${response.status} ${await response.text()}`);
  }
}
