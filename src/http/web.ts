// The web app (web/) served by chatd itself: the page at `/` and at each client-side route (the
// links in mails land on /verify-email and /reset-password), its scripts and styles under /assets/.
// Bundled by Bun from the HTML import: `bun build --compile` embeds the bundle in the binary (its
// files are then listed on the import), and from sources it is bundled in memory on first request.
// Nothing is loaded from anywhere else; the page's CSP allows only chatd's own assets (and the blob
// store's origin, for uploads and images, when attachments live elsewhere).
import { basename } from "node:path";
import { Elysia, t } from "elysia";
import app from "../../web/index.html";
import { notFound } from "../domain/errors";

/**
 * Scripts and styles from chatd only, no inline code; API calls and the WebSocket to chatd itself.
 * `blobOrigin`: the blob store's origin when its signed URLs are not chatd's own (S3), allowed for
 * exactly what the app does there: PUT uploads (connect-src) and inline images (img-src).
 */
export const appCsp = (blobOrigin: string | null = null) => {
  const blobs = blobOrigin ? ` ${blobOrigin}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${blobs}`,
    "font-src 'self'",
    `connect-src 'self'${blobs}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
};

/** The page's CSP with the blob store's URLs on chatd itself (the embedded store). */
export const APP_CSP = appCsp();

/** The client-side routes: each answers the page, which renders the view. */
export const APP_ROUTES = ["/", "/login", "/signup", "/forgot-password", "/rooms/:id"] as const;
/** Routes that mails link to, with the mail's token in the query. */
export const TOKEN_ROUTES = ["/verify-email", "/reset-password"] as const;

type Asset = { body: Blob; type: string };
type Bundle = { html: string; assets: Map<string, Asset> };

const ASSET_PREFIX = "/assets/";

/** The compiled binary's embedded bundle: its HTML points at the files by root path; ours live under /assets/. */
async function embedded(files: NonNullable<typeof app.files>): Promise<Bundle> {
  let html = await Bun.file(app.index).text();
  const assets = new Map<string, Asset>();
  for (const file of files) {
    if (file.loader === "html") continue;
    const name = basename(file.path);
    assets.set(name, { body: Bun.file(file.path), type: file.headers["content-type"] });
    html = html.replaceAll(`"/${name}"`, `"${ASSET_PREFIX}${name}"`);
  }
  return { html, assets };
}

/** From sources (bun src/main.ts, tests): the same bundle, built in memory. */
async function built(): Promise<Bundle> {
  const result = await Bun.build({ entrypoints: [app.index], minify: true, publicPath: ASSET_PREFIX });
  if (!result.success) throw new AggregateError(result.logs, "bundling the web app failed");
  let html = "";
  const assets = new Map<string, Asset>();
  for (const output of result.outputs) {
    if (output.path.endsWith(".html")) html = await output.text();
    else assets.set(basename(output.path), { body: new Blob([await output.arrayBuffer()]), type: output.type });
  }
  return { html, assets };
}

let bundle: Promise<Bundle> | undefined;
/** Built once per process, when first asked for. */
const load = () => {
  bundle ??= app.files?.length ? embedded(app.files) : built();
  return bundle;
};

type Set = { headers: Record<string, string | number> };

async function page(set: Set, csp: string) {
  set.headers["content-type"] = "text/html; charset=utf-8";
  set.headers["content-security-policy"] = csp;
  // The page is tiny and names its assets by content hash: always ask for a fresh one.
  set.headers["cache-control"] = "no-cache";
  return (await load()).html;
}

/** `blobOrigin`: BlobStore.urlOrigin(), which the page's CSP allows (see appCsp). */
export const webRoutes = (blobOrigin: string | null = null) => {
  const csp = appCsp(blobOrigin);
  const plugin = new Elysia({ name: "chatd.web" });
  const hidden = { detail: { hide: true } };
  // A page ignores query parameters it does not know (a link with tracking parameters still opens).
  const anyQuery = { ...hidden, query: t.Object({}, { additionalProperties: true }) };
  const tokenQuery = { ...hidden, query: t.Object({ token: t.Optional(t.String()) }, { additionalProperties: true }) };
  for (const path of APP_ROUTES) plugin.get(path, ({ set }) => page(set, csp), anyQuery);
  for (const path of TOKEN_ROUTES) plugin.get(path, ({ set }) => page(set, csp), tokenQuery);
  return plugin.get(
    `${ASSET_PREFIX}:name`,
    async ({ params, set }) => {
      const asset = (await load()).assets.get(params.name);
      if (!asset) throw notFound("asset");
      set.headers["content-type"] = asset.type;
      // Named by content hash: a new build has new names.
      set.headers["cache-control"] = "public, max-age=31536000, immutable";
      return asset.body;
    },
    hidden,
  );
};
