import { Form, Link } from "@remix-run/react";
import { Badge, Button, Card, FormErrors, SelectField, Table, Td, TextField, Th } from "~/components/ui";

/** Holdout and experiment settings (admin › Holdouts and experiments). Pure UI. */

type Errors = Record<string, string[]> | undefined;

interface ExperimentRow {
  id: string;
  kind: string;
  name: string;
  assignment: "random" | "external";
  holdout_bps: number;
  status: "active" | "stopped";
  created_at: string;
}

export function ProgramHoldoutForm({
  kind,
  title,
  help,
  current,
  disabled,
  errors,
}: {
  kind: "loyalty_program" | "referral_program";
  title: string;
  help: string;
  current: ExperimentRow | undefined;
  disabled: boolean;
  errors: Errors;
}) {
  return (
    <Card title={title}>
      <Form method="post" className="space-y-3 px-5 py-4">
        <input type="hidden" name="intent" value="program-holdout" />
        <input type="hidden" name="kind" value={kind} />
        <p className="text-sm text-stone-600">{help}</p>
        <p className="text-sm text-stone-700">
          {current ? (
            <>
              Now: <strong>{(current.holdout_bps / 100).toFixed(2).replace(/\.00$/, "")}%</strong> held out{current.status === "stopped" ? " (stopped)" : ""}.
            </>
          ) : (
            "No holdout yet: every member gets the program."
          )}
        </p>
        <TextField
          label="Share held out (0–50%)"
          name="holdoutPercent"
          type="number"
          min={0}
          max={50}
          step={0.01}
          defaultValue={current ? String(current.holdout_bps / 100) : "10"}
          disabled={disabled}
          errors={errors?.holdoutPercent}
          hint="Applies to members assigned from now on; existing assignments never change."
        />
        <FormErrors errors={errors?.form} />
        <Button type="submit" disabled={disabled}>
          {current ? "Update holdout" : "Start holdout"}
        </Button>
      </Form>
    </Card>
  );
}

export function CustomExperimentForm({ disabled, errors }: { disabled: boolean; errors: Errors }) {
  return (
    <Card title="New custom experiment">
      <Form method="post" className="grid gap-4 px-5 py-4 md:grid-cols-2">
        <input type="hidden" name="intent" value="custom" />
        <TextField label="Name" name="name" required maxLength={200} disabled={disabled} errors={errors?.name} />
        <SelectField
          label="Assignment"
          name="assignment"
          disabled={disabled}
          errors={errors?.assignment}
          options={[
            { value: "random", label: "Random: Perennial draws the arms" },
            { value: "external", label: "External: arms imported from a CSV" },
          ]}
        />
        <TextField label="Share held out, random (0–50%)" name="holdoutPercent" type="number" min={0} max={50} step={0.01} defaultValue="10" disabled={disabled} errors={errors?.holdoutPercent} />
        <TextField label="Arms, external (comma-separated)" name="arms" placeholder="Mens E-Mail, Womens E-Mail, No E-Mail" disabled={disabled} errors={errors?.arms} />
        <TextField label="Control arm, external" name="control" placeholder="No E-Mail" disabled={disabled} errors={errors?.control} />
        <p className="text-sm text-stone-600 md:col-span-2">
          Import external arms with <code>npm run cli -- import assignments --merchant &lt;slug&gt; --campaign &lt;experiment id&gt; --file arms.csv --control &lt;arm&gt;</code> (columns
          customer_id or email, and arm).
        </p>
        <FormErrors errors={errors?.form} />
        <div>
          <Button type="submit" disabled={disabled}>
            Create experiment
          </Button>
        </div>
      </Form>
    </Card>
  );
}

export function ExperimentsList({ slug, rows, canEdit }: { slug: string; rows: ExperimentRow[]; canEdit: boolean }) {
  if (!rows.length) return null;
  return (
    <Table caption="Experiments">
      <thead>
        <tr>
          <Th>Experiment</Th>
          <Th>Kind</Th>
          <Th>Assignment</Th>
          <Th>Status</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {rows.map((e) => (
          <tr key={e.id}>
            <Td>
              <Link to={`/admin/${slug}/reports/${e.id}`} className="font-medium text-brand-700 underline">
                {e.name}
              </Link>
              <div className="text-xs text-stone-500">{e.id}</div>
            </Td>
            <Td>{e.kind.replace("_", " ")}</Td>
            <Td>{e.assignment === "random" ? `random, ${(e.holdout_bps / 100).toFixed(2).replace(/\.00$/, "")}% held out` : "imported arms"}</Td>
            <Td>
              <Badge tone={e.status === "active" ? "green" : "neutral"}>{e.status}</Badge>
            </Td>
            <Td>
              {canEdit && e.status === "active" ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="stop" />
                  <input type="hidden" name="experimentId" value={e.id} />
                  <Button type="submit" variant="secondary" size="sm">
                    Stop<span className="sr-only"> {e.name}</span>
                  </Button>
                </Form>
              ) : null}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
