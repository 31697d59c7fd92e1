import type { Server } from "node:http";
import { createHttpApp } from "../../app/server/http.server";
import type { StartupGate } from "../../app/server/startup.server";
import { freePort } from "./free-port";

/** The production build served in-process on a free loopback port, against the worker's test database. */
export async function startAppServer(opts: { startup?: StartupGate; apiFastPath?: boolean } = {}): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const { app } = await createHttpApp({ mode: "production", startup: opts.startup, apiFastPath: opts.apiFastPath });
  const port = await freePort();
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, "127.0.0.1", () => resolve(s));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
