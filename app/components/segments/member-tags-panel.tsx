import { useFetcher } from "@remix-run/react";
import { Badge, Button, Card, TextField } from "~/components/ui";

/**
 * A member's tags on the admin member page (segments filter on them). Saves through its own resource route with a
 * fetcher, so it does not touch the member page's own actions.
 */
export function MemberTagsPanel({ slug, memberId, tags, editable }: { slug: string; memberId: string; tags: string[]; editable: boolean }) {
  const fetcher = useFetcher<{ tags?: string[]; error?: string }>();
  const shown = fetcher.data?.tags ?? tags;
  return (
    <Card title="Tags" className="mt-6">
      <div className="space-y-3">
        {shown.length ? (
          <ul className="flex flex-wrap gap-2" aria-label="Member tags">
            {shown.map((t) => (
              <li key={t}>
                <Badge tone="brand">{t}</Badge>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-stone-600">No tags.</p>
        )}
        {editable ? (
          <fetcher.Form method="post" action={`/admin/${slug}/segments/member-tags/${memberId}`} className="flex flex-wrap items-end gap-3">
            <TextField
              label="Edit tags"
              name="tags"
              defaultValue={tags.join(", ")}
              key={tags.join(",")}
              hint="Separated by commas: lowercase letters, digits, - and _."
              errors={fetcher.data?.error ? [fetcher.data.error] : null}
              className="min-w-64 flex-1"
            />
            <Button type="submit" variant="secondary" busy={fetcher.state !== "idle"}>
              Save tags
            </Button>
          </fetcher.Form>
        ) : null}
      </div>
    </Card>
  );
}
