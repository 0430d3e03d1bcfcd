// The uuid and email formats that request and frame validation use.
import { expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { t } from "elysia";
import { registerFormats } from "../../src/http/formats";

registerFormats();
const Uuid = t.String({ format: "uuid" });
const Email = t.String({ format: "email" });

test("uuid accepts v1, v4 and v7 ids in either case and refuses anything else", () => {
  for (const ok of [
    "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    crypto.randomUUID(),
    Bun.randomUUIDv7(),
    "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
  ]) {
    expect(Value.Check(Uuid, ok)).toBe(true);
  }
  for (const bad of [
    "",
    "not-a-uuid",
    "6ba7b810-9dad-11d1-80b4-00c04fd430c",
    "6ba7b810-9dad-11d1-80b4-00c04fd430c8x",
    "6ba7b8109dad11d180b400c04fd430c8",
  ]) {
    expect(Value.Check(Uuid, bad)).toBe(false);
  }
});

test("email accepts ordinary addresses and refuses malformed ones", () => {
  for (const ok of [
    "a@x.io",
    "First.Last+tag@Example.co.uk",
    "o'neil@mail.example.com",
    "user_1@sub-domain.example.test",
  ]) {
    expect(Value.Check(Email, ok)).toBe(true);
  }
  for (const bad of ["", "plain", "@x.io", "a@", "a@x", ".a@x.io", "a..b@x.io", "a b@x.io", "a@x..io"]) {
    expect(Value.Check(Email, bad)).toBe(false);
  }
});
