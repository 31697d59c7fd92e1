import { EmptyState, PageHeader } from "~/components/ui";

/** An honest placeholder for a section that a later issue builds: says what it will do, offers nothing to click. */
export function NotBuiltYet({ title, heading, children }: { title: string; heading: string; children: React.ReactNode }) {
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title={heading}>{children}</EmptyState>
    </>
  );
}
