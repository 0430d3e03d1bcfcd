// The version reported by `chatd version`, /docs and logs: package.json's, embedded at build time.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
