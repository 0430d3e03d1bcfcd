// The log redaction rule: secret and personal fields, URL queries and userinfo, tokens and addresses
// never reach a log line, whatever the key or nesting; config errors never echo a secret.
import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config";
import { createLogger, isSensitiveKey, REDACTED, redactText } from "../../src/log";

const capture = () => {
  const lines: Record<string, any>[] = [];
  const raw: string[] = [];
  const log = createLogger("debug", {}, (line) => {
    raw.push(line);
    lines.push(JSON.parse(line));
  });
  return { log, lines, raw };
};

describe("redaction rule", () => {
  test("fields named like secrets or personal data are replaced, in every spelling and at any depth", () => {
    const { log, lines } = capture();
    log.info("login", {
      password: "hunter2hunter2",
      refresh_token: "r-123",
      accessToken: "a-123",
      "x-api-key": "k",
      apikey: "k2",
      headers: { Authorization: "Bearer abc", cookie: "sid=1" },
      to: "ana@example.com",
      cc: ["bob@example.com"],
      email: "ana@example.com",
      JWT_SECRET: "s".repeat(40),
      smtp_pass: "p",
      email_verified: true,
      display_name: null,
    });
    const line = lines[0]!;
    for (const key of ["password", "refresh_token", "accessToken", "apikey", "to", "cc", "email", "JWT_SECRET"])
      expect(line[key]).toBe(REDACTED);
    expect(line.smtp_pass).toBe(REDACTED);
    expect(line.headers).toEqual({ Authorization: REDACTED, cookie: REDACTED });
    // Booleans and null say nothing about anyone and are kept.
    expect(line.email_verified).toBe(true);
    expect(line.display_name).toBeNull();
  });

  test("ordinary fields are left alone", () => {
    for (const key of ["user_id", "room_id", "request_id", "subject", "route", "status", "keyspace", "bypass"])
      expect(isSensitiveKey(key)).toBe(false);
  });

  test("URLs lose their query string and userinfo wherever they appear in text", () => {
    expect(redactText("https://chatd.example/v1/ws?token=eyJabc&x=1")).toBe("https://chatd.example/v1/ws");
    expect(redactText("smtp://user:s3cret@mail.example:587")).toBe(`smtp://${REDACTED}@mail.example:587`);
    expect(redactText("connect failed: redis://:pw@10.0.0.1:6379/0?db=1 refused")).toBe(
      `connect failed: redis://${REDACTED}@10.0.0.1:6379/0 refused`,
    );
    expect(redactText("/v1/blobs/k?expires=1&sig=abc")).toBe("/v1/blobs/k");
    expect(redactText("GET /v1/ws?token=abc done")).toBe("GET /v1/ws done");
    expect(redactText("http://host/a#frag")).toBe("http://host/a#frag");
  });

  test("bearer tokens, JWTs and email addresses in text are replaced", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    expect(redactText("header was Bearer abc.def")).toBe(`header was Bearer ${REDACTED}`);
    expect(redactText(`token ${jwt} expired`)).toBe(`token ${REDACTED} expired`);
    expect(redactText("no account for ana.b+x@mail.example.com")).toBe("no account for [redacted email]");
  });

  test("every line is redacted: the message, nested errors and their stacks", () => {
    const { log, raw } = capture();
    const error = new Error("550 mailbox ana@example.com unavailable via smtp://u:pw@mx.example");
    log.error("mail to ana@example.com failed", { error, nested: { list: ["https://x.example/?token=t0k"] } });
    const line = raw[0]!;
    expect(line).not.toContain("ana@example.com");
    expect(line).not.toContain("pw@");
    expect(line).not.toContain("t0k");
    expect(JSON.parse(line).error).toMatchObject({ name: "Error", message: expect.stringContaining("550 mailbox") });
  });

  test("child loggers write through the same rule and sink", () => {
    const { log, lines } = capture();
    log.child({ component: "mail", token: "abc" }).info("sent", { url: "http://h/p?sig=1" });
    expect(lines[0]).toMatchObject({ component: "mail", token: REDACTED, url: "http://h/p" });
  });
});

describe("config errors", () => {
  const messageOf = (env: Record<string, string>) => {
    try {
      loadConfig({}, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  test("a bad secret is named but never echoed", () => {
    const jwt = messageOf({ JWT_SECRET: "tooshort-but-secret" });
    expect(jwt).toContain("JWT_SECRET");
    expect(jwt).not.toContain("tooshort-but-secret");
    const smtp = messageOf({ SMTP_URL: "http://mailer:hunter2@mail.example" });
    expect(smtp).toContain("SMTP_URL");
    expect(smtp).not.toContain("hunter2");
    const unparsable = messageOf({ SMTP_URL: "smtp//mailer:hunter2@mail.example" });
    expect(unparsable).not.toContain("hunter2");
  });

  test("other values are still echoed, so the mistake is visible", () => {
    expect(messageOf({ PORT: "eighty" })).toContain('got "eighty"');
  });
});
