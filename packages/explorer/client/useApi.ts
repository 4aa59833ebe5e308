/** Fetches `path` with `params` whenever they change; the answer, the error, and whether it is loading. */
import { useEffect, useState } from "preact/hooks";
import { get } from "./api.js";

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: string | null;
}

export function useApi<T>(
  path: string | null,
  params: Record<string, string | number | undefined>,
): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null });
  const key = path === null ? "" : `${path}?${JSON.stringify(params)}`;
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null });
      return;
    }
    let live = true;
    get<T>(path, params).then(
      (data) => live && setState({ data, error: null }),
      (e: Error) => live && setState({ data: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}
