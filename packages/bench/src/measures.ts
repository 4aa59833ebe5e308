/** Every measure of `pnpm bench`, in the order of the table. */
import { commitSize } from "./commitSize.js";
import { containerHeap } from "./containerHeap.js";
import { durableBatches, durableWriters } from "./durableAppends.js";
import { engineOpen } from "./engineOpen.js";
import { engineWrites } from "./engineWrites.js";
import { fileLogReplay } from "./fileLogReplay.js";
import { fsReplay } from "./fsReplay.js";
import { lookupDepth } from "./lookupDepth.js";
import type { Measure } from "./Measure.js";
import { memfsUnion } from "./memfsUnion.js";
import { ociExport, ociImport, ociRepack, ociUnpack } from "./ociThroughput.js";
import { postgresSharedWriters, postgresWriters } from "./postgresWriters.js";
import { serveInspect } from "./serveInspect.js";
import { sharedPostgres } from "./sharedPostgres.js";
import { snapshotSize } from "./snapshotSize.js";

export const MEASURES: readonly Measure[] = [
  fsReplay,
  fileLogReplay,
  lookupDepth,
  memfsUnion,
  snapshotSize,
  containerHeap,
  commitSize,
  ociExport,
  ociImport,
  ociRepack,
  ociUnpack,
  durableBatches,
  durableWriters,
  postgresWriters,
  postgresSharedWriters,
  engineOpen,
  engineWrites,
  sharedPostgres,
  serveInspect,
];
