// The SDK's committed types (clients/js/src/generated/) are what `bun run sdk:types` makes from the
// server's documents now: a route or frame changed without regenerating them fails here.
import { expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GENERATED_DIR, generateSdkTypes } from "../../scripts/sdk-types";

test("the SDK's generated REST and frame types are up to date (else: bun run sdk:types)", async () => {
  const generated = await generateSdkTypes();
  expect(Object.keys(generated).sort()).toEqual(["frames.ts", "openapi.ts"]);
  for (const [name, text] of Object.entries(generated)) {
    const committed = await readFile(join(GENERATED_DIR, name), "utf8");
    expect({ file: name, upToDate: committed === text }).toEqual({ file: name, upToDate: true });
  }
}, 60_000);
