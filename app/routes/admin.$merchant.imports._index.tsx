import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { clientIp, requireStaff, roleAtLeast } from "~/web/guards.server";
import { ImportColumnsHelp, ImportsTable, ImportUploadForm } from "~/components/admin/imports";
import { Alert, Card, EmptyState, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { listImports, MAX_UPLOAD_BYTES, startUploadedImport } from "~/domain/imports/import.server";
import { receiveUpload } from "~/domain/imports/upload.server";
import { domainErrorData } from "~/web/form-action.server";
import { newId } from "~/lib/ids";

export const meta: MetaFunction = () => [{ title: "Imports · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const imports = await withTenant(db(), merchant.id, (trx) => listImports(trx, merchant.id));
  const maxMb = MAX_UPLOAD_BYTES / 1024 / 1024;
  return { imports, canUpload: roleAtLeast(role, "admin"), maxMb, slug: merchant.slug, currency: merchant.currency, timezone: merchant.timezone };
}

export async function action({ request, params }: ActionFunctionArgs) {
  // The role check comes before the body is read: nobody else's upload ever reaches the disk.
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const importId = newId("import");
  try {
    const upload = await receiveUpload(request, merchant.id, importId);
    await startUploadedImport(db(), merchant.id, importId, upload, { type: "staff", id: user.id, ip: clientIp(request) });
  } catch (err) {
    return domainErrorData(err, (e) => ({ error: e.message }));
  }
  return redirect(`/admin/${merchant.slug}/imports/${importId}`);
}

export default function Imports() {
  const { imports, canUpload, maxMb, slug, currency, timezone } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <PageHeader title="Imports" description="Bring in historical orders and their customers from a CSV file, so the CLTV models work from day one." />
      <div className="space-y-6">
        {canUpload ? (
          <Card title="Import orders">
            <ImportUploadForm error={result?.error} busy={busy} maxMb={maxMb} />
          </Card>
        ) : (
          <Alert tone="info">Only admins and owners can upload imports.</Alert>
        )}
        <Card title="File format">
          <ImportColumnsHelp currency={currency} />
        </Card>
        {imports.length ? <ImportsTable rows={imports} slug={slug} timezone={timezone} /> : <EmptyState title="No imports yet">Uploaded files and their results will be listed here.</EmptyState>}
      </div>
    </>
  );
}
