// First: configures Zod in the browser before any route module builds a schema (see the module).
import "~/lib/zod-jitless";
import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError } from "@remix-run/react";
import { useNonce } from "~/components/nonce";
import styles from "~/styles/app.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Perennial" }];

export function Layout({ children }: { children: React.ReactNode }) {
  // The Content-Security-Policy only lets inline scripts with this response's nonce run (see entry.server).
  const nonce = useNonce() || undefined;
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="h-full">
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const message = isRouteErrorResponse(error)
    ? typeof error.data === "string" && error.data
      ? error.data
      : error.statusText
    : "Something went wrong on our side. The error has been logged.";
  return (
    <main className="mx-auto flex min-h-full max-w-lg flex-col justify-center px-6 py-24 text-center">
      <p className="text-sm font-semibold text-brand-500">{status}</p>
      <h1 className="mt-2 text-2xl font-semibold">{status === 404 ? "Page not found" : status === 403 ? "Not allowed" : "Error"}</h1>
      <p className="mt-3 text-stone-600">{message}</p>
      <a href="/" className="mt-6 text-sm font-medium text-brand-600 underline">Back to the start</a>
    </main>
  );
}
