declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "*.cql" {
  const text: string;
  export default text;
}
