// String formats for TypeBox schemas (uuid, email), compiled once. @elysiajs/openapi registers its own
// checks for these formats that build a new schema object on every call, which cost most of the CPU
// of a request; ours replace them and accept the same strings.
import { FormatRegistry } from "@sinclair/typebox";

const UUID =
  /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/;
const EMAIL = /^(?!\.)(?!.*\.\.)[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

/** Installs the checks; call after the plugins that register their own (last one wins). */
export function registerFormats() {
  FormatRegistry.Set("uuid", (value) => UUID.test(value));
  FormatRegistry.Set("email", (value) => EMAIL.test(value));
}
