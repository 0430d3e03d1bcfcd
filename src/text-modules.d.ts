declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "*.cql" {
  const text: string;
  export default text;
}

// Files embedded with `with { type: "file" }`: the import is the path to read them from (inside the
// compiled binary, a path in its embedded file system).
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}

declare module "*.css" {
  const path: string;
  export default path;
}
