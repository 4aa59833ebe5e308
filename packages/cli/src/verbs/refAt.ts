/** `REF@SEQ`: a container or image as it was right after event SEQ; plain `REF` is now. */
export function refAt(ref: string): { ref: string; at?: number } {
  const m = /^(.*)@(\d+)$/.exec(ref);
  return m ? { ref: m[1] as string, at: Number(m[2]) } : { ref };
}
