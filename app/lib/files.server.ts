import fs from "node:fs";
import { gunzipSync } from "node:zlib";

/** A text file read whole, gunzipped first when its name ends in `.gz` (large data sets are kept compressed). */
export function readTextFile(file: string): string {
  const bytes = fs.readFileSync(file);
  return (file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
}
