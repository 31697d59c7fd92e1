import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Vitest orders files by the durations it cached in an earlier run, and on a fresh clone (CI) by file size, so a short
 * file with a long run could start last and leave one worker busy alone at the end. These start first, longest first
 * (per-file seconds of a run on the 2-core CI machine); a file missing here only runs in Vitest's own order.
 */
const LONGEST_FIRST = [
  "tests/integration/channels/hillstrom.test.ts",
  "tests/integration/core/cltv-score.test.ts",
  "tests/integration/core/cltv-fit.test.ts",
  "tests/integration/channels/incrementality-facts.test.ts",
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Stable: Vitest's order among the rest, and its grouping by project (files of other projects rank equal).
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}
