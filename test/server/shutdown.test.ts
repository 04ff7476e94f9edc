// Graceful shutdown in-process: a request in flight when close() begins still completes, is told
// `Connection: close`, and the keep-alive connection does not hold the server open.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { createOrg, createTestApp } from "../helpers/app.js";

describe("app.close() with a request in flight", () => {
  it("finishes the request, closes its connection and returns promptly", async () => {
    const t = await createTestApp();
    const org = await createOrg(t.prisma, "Closing");
    const address = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const port = Number(new URL(address).port);
    const body = JSON.stringify({ query: "{ viewer { organization { name } } }" });
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    let response = "";
    socket.on("data", (chunk) => {
      response += chunk.toString();
    });
    const ended = new Promise((resolve) => socket.once("close", resolve));
    // Headers and half the body: the request is in flight.
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAuthorization: Bearer ${org.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const closing = t.app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(body.slice(10));
    await closing;
    await ended;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response.toLowerCase()).toContain("connection: close");
    expect(response).toContain('"name":"Closing"');
    await t.db.close();
  });
});
