import { Card } from "~/components/ui";

/** Shown instead of points and rewards to a member held out of the loyalty program (its randomized holdout). */
export function ProgramUnavailable({ programName }: { programName: string }) {
  return (
    <Card className="mt-6" title="The rewards program is not available to your account">
      <p className="px-5 py-4 text-sm text-stone-600">
        {programName} does not offer points or rewards on this account at the moment. Your orders and profile are kept as usual.
      </p>
    </Card>
  );
}
