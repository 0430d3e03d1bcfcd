// Which webhook targets chatd refuses: every address that is not public unicast, in IPv4, IPv6 and
// the IPv6 forms that embed an IPv4 address; host names by every address they resolve to.
import { expect, test } from "bun:test";
import { isPublicAddress, resolveTarget } from "../../src/notify/ssrf";

test("private, loopback, link-local, metadata, reserved and multicast addresses are not public", () => {
  for (const ip of [
    "0.0.0.0",
    "10.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.168.1.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a00:1",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "2001:db8::1",
    "not an address",
  ])
    expect({ ip, public: isPublicAddress(ip) }).toEqual({ ip, public: false });
});

test("public unicast addresses are allowed", () => {
  for (const ip of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "11.0.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
    expect({ ip, public: isPublicAddress(ip) }).toEqual({ ip, public: true });
});

test("a host name is refused when it resolves to a loopback address, and allowed with allowPrivate", async () => {
  await expect(resolveTarget(new URL("http://localhost:8080/x"), false)).rejects.toMatchObject({
    code: "validation_failed",
  });
  const pinned = await resolveTarget(new URL("http://localhost:8080/x"), true);
  expect(["127.0.0.1", "::1"]).toContain(pinned.address);
  await expect(resolveTarget(new URL("http://[::1]/"), false)).rejects.toMatchObject({ code: "validation_failed" });
  expect(await resolveTarget(new URL("http://8.8.8.8/"), false)).toEqual({ address: "8.8.8.8", family: 4 });
});
