import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { requireStaff } from "~/web/guards.server";
import { ImportErrorsTable, ImportProgressPanel, ImportStatusBadge } from "~/components/admin/imports";
import { buttonClass, Card, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { getImport } from "~/domain/imports/import.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.imp.filename} · Imports` : "Import" }];

const SHOWN_ERRORS = 100;
const notFound = () => new Response("Import not found", { status: 404 });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const importId = params.importId ?? "";
  if (!isId("import", importId)) throw notFound();
  const row = await withTenant(db(), merchant.id, (trx) => getImport(trx, merchant.id, importId));
  if (!row) throw notFound();
  const { errors, merchant_id: _m, created_by: _c, ...imp } = row;
  return { imp, errors: errors.slice(0, SHOWN_ERRORS), storedErrors: errors.length, slug: merchant.slug, timezone: merchant.timezone };
}

export default function ImportPage() {
  const { imp, errors, storedErrors, slug, timezone } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const active = imp.status === "queued" || imp.status === "running";
  // Poll while the job works; every answer re-arms the timer, so there is never more than one request in flight.
  useEffect(() => {
    if (!active) return;
    const t = setTimeout(() => revalidator.revalidate(), 1000);
    return () => clearTimeout(t);
  }, [active, imp, revalidator]);

  return (
    <>
      <PageHeader
        title={imp.filename}
        description={<>Order import <ImportStatusBadge status={imp.status} /></>}
        actions={<Link to={`/admin/${slug}/imports`} className={buttonClass("secondary", "sm")}>All imports</Link>}
      />
      <div className="space-y-6">
        <Card>
          <ImportProgressPanel imp={imp} timezone={timezone} />
        </Card>
        {imp.rows_failed > 0 ? (
          <Card
            title={`Errors (${imp.rows_failed.toLocaleString("en-US")} rows)`}
            actions={<a href={`/admin/${slug}/imports/${imp.id}/errors.csv`} className={buttonClass("secondary", "sm")} download>Download error report (CSV)</a>}
          >
            <ImportErrorsTable errors={errors} total={Math.max(storedErrors, imp.rows_failed)} />
          </Card>
        ) : null}
      </div>
    </>
  );
}
