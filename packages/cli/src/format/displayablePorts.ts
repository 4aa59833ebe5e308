/**
 * The PORTS column of `docker ps`: ports sorted, runs of consecutive ports grouped
 * ("0.0.0.0:8000-8002->8000-8002/tcp"), published ports mapped to another port listed last.
 * Pure. Rules: docker/cli cli/command/formatter/container.go DisplayablePorts.
 */

/** A port as the list API gives it (moby container.Port). */
export interface ApiPort {
  readonly IP?: string;
  readonly PrivatePort: number;
  readonly PublicPort?: number;
  readonly Type: string;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split("/");
  let groupType = parts[0] ?? "";
  let ip = "";
  if (parts.length > 1) {
    ip = parts[0] ?? "";
    groupType = parts[1] ?? "";
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== "") group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${groupType}`;
}

function comparePorts(a: ApiPort, b: ApiPort): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ai = a.IP ?? "";
  const bi = b.IP ?? "";
  if (ai !== bi) return ai < bi ? -1 : 1;
  const ap = a.PublicPort ?? 0;
  const bp = b.PublicPort ?? 0;
  if (ap !== bp) return ap - bp;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

/** formatter.DisplayablePorts. */
export function displayablePorts(ports: readonly ApiPort[]): string {
  const groupMap = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const keys: string[] = [];
  const sorted = [...ports].sort(comparePorts);
  for (const port of sorted) {
    const current = port.PrivatePort;
    let portKey = port.Type;
    const ip = port.IP ?? "";
    const pub = port.PublicPort ?? 0;
    if (ip !== "") {
      if (pub !== current) {
        hostMappings.push(`${joinHostPort(ip, String(pub))}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      portKey = `${ip}/${port.Type}`;
    }
    const group = groupMap.get(portKey);
    if (!group) {
      groupMap.set(portKey, { first: current, last: current });
      keys.push(portKey);
      continue;
    }
    if (current === ((group.last + 1) & 0xffff)) {
      group.last = current;
      continue;
    }
    result.push(formGroup(portKey, group.first, group.last));
    groupMap.set(portKey, { first: current, last: current });
  }
  for (const key of keys) {
    const g = groupMap.get(key) as { first: number; last: number };
    result.push(formGroup(key, g.first, g.last));
  }
  result.push(...hostMappings);
  return result.join(", ");
}
