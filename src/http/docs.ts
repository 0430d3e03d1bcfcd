// GET /docs: the OpenAPI document browsable with Swagger UI, served entirely by chatd; the AsyncAPI
// document of the WebSocket protocol at /docs/asyncapi.json. The UI is the
// pinned swagger-ui-dist dependency, embedded in the binary (`with { type: "file" }`), so the page
// works offline and loads no code from anywhere else; its CSP allows only chatd's own assets.
import { Elysia } from "elysia";
import cssPath from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import bundlePath from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import { asyncApiDocument } from "./asyncapi";
import { type DocumentInfo, openApiDocument } from "./openapi";

/**
 * Scripts and styles from chatd only (no inline script: the start-up code is /docs/assets/init.js);
 * Swagger UI's icons are data: URIs in its stylesheet; "try it out" calls chatd itself.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (info: DocumentInfo) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// validatorUrl: null keeps the UI from sending the document to validator.swagger.io.
const init = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/docs/json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
});
`;

/** The assets change only with a new chatd build (their URLs do not), so browsers keep them an hour. */
const ASSET_CACHE = "public, max-age=3600";

export const docsRoutes = (info: DocumentInfo) => {
  const plugin = new Elysia({ name: "chatd.docs" });
  let document: unknown;
  const asyncApi = asyncApiDocument(info);
  const html = page(info);
  return (
    plugin
      .get(
        "/docs",
        ({ set }) => {
          set.headers["content-type"] = "text/html; charset=utf-8";
          set.headers["content-security-policy"] = DOCS_CSP;
          return html;
        },
        { detail: { hide: true } },
      )
      // Built when the server starts: every route is mounted by then, and none has served a request.
      // Elysia changes a route's response schema when it first validates a response (it adds
      // `additionalProperties: false`), so a document built later would depend on which routes ran.
      .onStart(() => {
        document = openApiDocument(plugin, info);
      })
      .get("/docs/json", () => document, { detail: { hide: true } })
      .get("/docs/asyncapi.json", () => asyncApi, { detail: { hide: true } })
      .get("/docs/assets/swagger-ui-bundle.js", ({ set }) => asset(set, bundlePath, "text/javascript; charset=utf-8"), {
        detail: { hide: true },
      })
      .get("/docs/assets/swagger-ui.css", ({ set }) => asset(set, cssPath, "text/css; charset=utf-8"), {
        detail: { hide: true },
      })
      .get(
        "/docs/assets/init.js",
        ({ set }) => {
          set.headers["content-type"] = "text/javascript; charset=utf-8";
          set.headers["cache-control"] = ASSET_CACHE;
          return init;
        },
        { detail: { hide: true } },
      )
  );
};

function asset(set: { headers: Record<string, string | number> }, path: string, type: string) {
  set.headers["content-type"] = type;
  set.headers["cache-control"] = ASSET_CACHE;
  return Bun.file(path);
}
