import { db, type DB } from "../../app/db.server";
import { ownerUrl } from "./worker-db";

/** The worker's database, as the application role (Row Level Security applies). */
export function testDb(): DB {
  return db();
}

export { ownerUrl };
