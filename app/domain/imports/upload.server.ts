import fs from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { unstable_parseMultipartFormData, type UploadHandler } from "@remix-run/node";
import { DomainError } from "~/lib/errors";
import { MAX_UPLOAD_BYTES, uploadPath } from "./import.server";

/**
 * The admin upload: a multipart body streamed straight to `${DATA_DIR}/imports/<merchantId>/<importId>.csv` (never
 * held in memory), refused past MAX_UPLOAD_BYTES. Only the `file` part goes to disk; other fields are small text.
 */

export interface ReceivedUpload {
  filePath: string;
  filename: string;
  bytes: number;
  fields: Record<string, string>;
}

const MAX_FIELD_BYTES = 1024;
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

const badUpload = (message: string) => new DomainError("bad_request", message, { field: "file" });
const tooLargeUpload = (message: string) => new DomainError("payload_too_large", message, { field: "file" });

export async function receiveUpload(request: Request, merchantId: string, importId: string, maxBytes = MAX_UPLOAD_BYTES): Promise<ReceivedUpload> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data;\s*boundary=/i.test(type)) throw badUpload("Choose a CSV file to upload.");
  const filePath = uploadPath(merchantId, importId);
  let file: { filename: string; bytes: number } | undefined;
  const fields: Record<string, string> = {};

  const handler: UploadHandler = async ({ name, filename, data }) => {
    if (name === "file" && filename !== undefined) {
      if (file) throw badUpload("Upload one file at a time.");
      file = { filename: path.basename(filename).slice(0, 255) || "upload.csv", bytes: 0 };
      await fs.promises.mkdir(path.dirname(filePath), { recursive: true });
      const out = fs.createWriteStream(filePath, { flags: "w" });
      try {
        for await (const chunk of data) {
          if (file.bytes === 0 && chunk.length >= 4 && chunk[0] === 0x50 && chunk[1] === 0x4b && chunk[2] === 3 && chunk[3] === 4) {
            throw badUpload("This looks like an Excel workbook: save it as CSV (comma-separated) and upload that.");
          }
          file.bytes += chunk.byteLength;
          if (file.bytes > maxBytes) throw tooLargeUpload(`The file is larger than ${mb(maxBytes)}. Split it, or import it with the CLI (npm run cli -- import orders).`);
          if (!out.write(chunk)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
      } catch (err) {
        out.destroy();
        await fs.promises.rm(filePath, { force: true });
        throw err;
      }
      return file.filename;
    }
    let text = "";
    for await (const chunk of data) {
      text += Buffer.from(chunk).toString("utf8");
      if (text.length > MAX_FIELD_BYTES) throw badUpload(`The form field ${name.slice(0, 40)} is too long.`);
    }
    fields[name] = text;
    return text;
  };

  try {
    await unstable_parseMultipartFormData(request, handler);
  } catch (err) {
    await fs.promises.rm(filePath, { force: true });
    if (err instanceof DomainError) throw err;
    throw badUpload("The upload could not be read; try again.");
  }
  if (!file) throw badUpload("Choose a CSV file to upload.");
  if (file.bytes === 0) {
    await fs.promises.rm(filePath, { force: true });
    throw badUpload("The file is empty.");
  }
  return { filePath, filename: file.filename, bytes: file.bytes, fields };
}
