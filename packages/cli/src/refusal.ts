import type { StrataError } from "@strata/core";
import { OciError } from "@strata/oci";

/**
 * A failed command's error on one line: the engine's refusals as Docker says them ("Error response from
 * daemon: ..."), a storage failure (content that cannot be stored or served) and a refused image file
 * (no daemon answers those: the CLI read the file itself) as a plain error.
 */
export function refusal(e: StrataError): string {
  const plain = (e.code === "System" && e.reason.startsWith("blob-")) || e instanceof OciError;
  return `${plain ? "Error" : "Error response from daemon"}: ${e.message}`;
}
