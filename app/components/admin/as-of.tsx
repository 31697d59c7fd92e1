import { Form } from "@remix-run/react";
import { Button } from "~/components/ui/button";
import { formatDateTime } from "~/components/ui/format";
import { SUMMARY_REFRESH_MINUTES } from "~/lib/summaries";

/**
 * "Figures as of …" for the pages that read maintained summaries (dashboard, CLTV, reports), with the staleness bound
 * and, for staff who may, a "Refresh now" button (intent=refresh on the page's own action).
 */
export function AsOf({ asOf, timezone, canRefresh, busy }: { asOf: string; timezone: string; canRefresh: boolean; busy: boolean }) {
  return (
    <div className="mb-4 flex flex-wrap items-center gap-3 text-sm text-stone-600">
      <p>
        Figures as of <time dateTime={asOf}>{formatDateTime(asOf, timezone)}</time>; recomputed every {SUMMARY_REFRESH_MINUTES} minutes and after a model
        refit or a change of settings.
      </p>
      {canRefresh ? (
        <Form method="post">
          <Button type="submit" name="intent" value="refresh" variant="secondary" size="sm" busy={busy}>
            Refresh now
          </Button>
        </Form>
      ) : null}
    </div>
  );
}
