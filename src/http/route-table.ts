// What the registered routes accept, derived once from the app's own route list: the body schema and
// query parameters of each route, and which methods each path pattern answers (for 405 + Allow).
import type { TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";

/** A route as Elysia lists it in `app.routes`. */
export type RegisteredRoute = {
  method: string;
  path: string;
  hooks?: { body?: unknown; query?: unknown; parse?: unknown };
};

export type RouteShape = {
  /** The compiled body schema; null: the route takes no body (nothing, or an empty object). */
  body: TypeCheck<TSchema> | null;
  /**
   * The query parameters the route's query schema names; every other one is refused, unless the
   * schema says `additionalProperties: true` (the web app's pages, which ignore what they do not know).
   */
  query: ReadonlySet<string>;
  openQuery: boolean;
  /** The compiled query schema (it decodes the query strings), or null when the route takes none. */
  queryCheck: TypeCheck<TSchema> | null;
  /**
   * The route reads its request body itself, as a stream, under a limit of its own (it declares
   * `parse: "none"`, e.g. the blob upload): the JSON body parser leaves the body unread for it.
   */
  streamsBody: boolean;
};

type Pattern = { match: RegExp; methods: Set<string> };

const NO_QUERY: ReadonlySet<string> = new Set();

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `/v1/rooms/:id` → a regex matching one concrete path of that pattern (a trailing slash allowed). */
const patternRegex = (path: string) =>
  new RegExp(
    `^${path
      .split("/")
      .map((part) => (part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : escapeRegex(part)))
      .join("/")}/?$`,
  );

/** Whether the route's parse hooks include Elysia's "none" (the route reads the body itself). */
const streams = (parse: unknown) =>
  Array.isArray(parse) && parse.some((hook) => (hook as { fn?: unknown } | null)?.fn === "none");

const schemaOf = (value: unknown): TSchema | null =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as TSchema) : null;

export class RouteTable {
  #built = -1;
  #shapes = new Map<string, RouteShape>();
  #patterns: Pattern[] = [];

  /** `routes` is read lazily, so routes registered after the table was made are included. */
  constructor(private readonly routes: () => readonly RegisteredRoute[]) {}

  /** The shape of the route Elysia matched (`route` is its path pattern); HEAD uses the GET route's. */
  shape(method: string, route: string): RouteShape | undefined {
    this.#build();
    return this.#shapes.get(`${method} ${route}`) ?? (method === "HEAD" ? this.#shapes.get(`GET ${route}`) : undefined);
  }

  /** The methods some route answers on this concrete path (empty: no route has the path), sorted. */
  methodsFor(pathname: string): string[] {
    this.#build();
    const methods = new Set<string>();
    for (const pattern of this.#patterns) {
      if (pattern.match.test(pathname)) for (const method of pattern.methods) methods.add(method);
    }
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  }

  #build() {
    const routes = this.routes();
    if (routes.length === this.#built) return;
    const shapes = new Map<string, RouteShape>();
    const patterns = new Map<string, Pattern>();
    for (const route of routes) {
      const body = schemaOf(route.hooks?.body);
      const query = schemaOf(route.hooks?.query);
      const properties = (query as { properties?: Record<string, unknown> } | null)?.properties;
      shapes.set(`${route.method} ${route.path}`, {
        body: body ? TypeCompiler.Compile(body) : null,
        query: properties ? new Set(Object.keys(properties)) : NO_QUERY,
        openQuery: (query as { additionalProperties?: unknown } | null)?.additionalProperties === true,
        queryCheck: query ? TypeCompiler.Compile(query) : null,
        streamsBody: streams(route.hooks?.parse),
      });
      const pattern = patterns.get(route.path) ?? { match: patternRegex(route.path), methods: new Set() };
      pattern.methods.add(route.method);
      patterns.set(route.path, pattern);
    }
    this.#shapes = shapes;
    this.#patterns = [...patterns.values()];
    this.#built = routes.length;
  }
}
